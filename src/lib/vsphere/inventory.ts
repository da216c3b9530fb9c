// Inventory paths and datacenters: FindByInventoryPath, the datacenter list,
// and resolving --datacenter the way govc does (the only one when there is
// exactly one, else the user must choose).

import { UsageError, VkError } from '../core/errors.js';
import type { VimClient } from './soap/client.js';
import { MAX_DEPTH } from './soap/limits.js';
import { retrieveContents, toRetrieved, traversal, type RetrievedObject } from './property-collector.js';
import type { MoRef } from './types.js';

export async function findByInventoryPath(client: VimClient, inventoryPath: string): Promise<MoRef | undefined> {
  const searchIndex = client.sc.searchIndex;
  if (!searchIndex) {
    throw new VkError(`${client.hostPort} has no SearchIndex, so inventory paths cannot be looked up`, {
      hint: 'connect to vCenter rather than to an ESXi host',
    });
  }
  return client.invoke<MoRef | undefined>(
    'FindByInventoryPath',
    searchIndex,
    { inventoryPath },
    'ManagedObjectReference',
  );
}

export interface DatacenterRef {
  ref: MoRef;
  name: string;
  /** Inventory path, e.g. /DC0 or /Europe/DC1. */
  path: string;
  vmFolder: MoRef;
  hostFolder: MoRef;
  datastoreFolder: MoRef;
  networkFolder: MoRef;
}

/**
 * The datacenter as a user types it, for --datacenter and the drivers'
 * configs: the name of a datacenter at the inventory root (as govc and the
 * drivers' docs write it), the inventory path of one inside a folder.
 */
export function datacenterArg(dc: Pick<DatacenterRef, 'name' | 'path'>): string {
  return dc.path === `/${dc.name}` ? dc.name : dc.path;
}

/** Every datacenter with its inventory path and top folders, in one call. */
export async function listDatacenters(client: VimClient): Promise<DatacenterRef[]> {
  const contents = await retrieveContents(client, [
    {
      propSet: [
        { type: 'Folder', pathSet: ['name', 'parent'] },
        {
          type: 'Datacenter',
          pathSet: ['name', 'parent', 'vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder'],
        },
      ],
      objectSet: [
        {
          obj: client.sc.rootFolder,
          selectSet: [traversal('folders', 'Folder', 'childEntity', ['folders'])],
        },
      ],
    },
  ]);
  const objects = contents.map((c) => toRetrieved<DatacenterProps>(c));
  const paths = new InventoryPaths(client.sc.rootFolder);
  for (const o of objects) paths.add(o.ref, o.props.name ?? '', o.props.parent);
  return datacentersOf(objects, paths);
}

/** What a retrieve of datacenters (and their parent folders) returns for each object. */
export interface DatacenterProps {
  name: string;
  parent: MoRef;
  vmFolder: MoRef;
  hostFolder: MoRef;
  datastoreFolder: MoRef;
  networkFolder: MoRef;
}

/** The datacenters among retrieved objects, with their inventory paths, sorted by path. */
export function datacentersOf(
  objects: Array<{ ref: MoRef; props: Partial<DatacenterProps> }>,
  paths: InventoryPaths,
): DatacenterRef[] {
  return objects
    .filter((o) => o.ref.type === 'Datacenter')
    .map((o) => ({
      ref: o.ref,
      name: o.props.name ?? '',
      path: paths.pathOf(o.ref),
      vmFolder: o.props.vmFolder!,
      hostFolder: o.props.hostFolder!,
      datastoreFolder: o.props.datastoreFolder!,
      networkFolder: o.props.networkFolder!,
    }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * The datacenter to work in: `wanted` (a name or inventory path) or, when
 * not given, the only one. Anything else is an error that lists them.
 */
export function chooseDatacenter(all: DatacenterRef[], wanted: string | undefined): DatacenterRef {
  const list = all.map((d) => d.path).join(', ') || 'none';
  if (wanted) {
    const w = wanted.replace(/\/+$/, '');
    const match = all.filter((d) => d.path === w || d.path === `/${w}` || d.name === w);
    if (match.length === 1) return match[0]!;
    if (match.length > 1) {
      throw new UsageError(`datacenter "${wanted}" is ambiguous: ${match.map((d) => d.path).join(', ')}`, {
        hint: 'pass its inventory path to --datacenter',
      });
    }
    throw new UsageError(`datacenter "${wanted}" not found; vCenter has: ${list}`, {
      hint: 'pass one of them to --datacenter (or GOVC_DATACENTER)',
    });
  }
  if (all.length === 1) return all[0]!;
  if (all.length === 0) throw new VkError('vCenter has no datacenter');
  throw new UsageError(`vCenter has ${all.length} datacenters (${list}); choose one`, {
    hint: 'pass --datacenter (or set GOVC_DATACENTER)',
  });
}

/** Builds inventory paths ("/DC0/datastore/ds1") from objects' names and parents. */
export class InventoryPaths {
  readonly #nodes = new Map<string, { name: string; parent?: MoRef }>();
  constructor(private readonly root: MoRef) {}

  add(ref: MoRef, name: string, parent: MoRef | undefined): void {
    this.#nodes.set(`${ref.type}:${ref.value}`, { name, parent });
  }

  pathOf(ref: MoRef): string {
    const parts: string[] = [];
    let cur: MoRef | undefined = ref;
    for (let depth = 0; cur && depth < MAX_DEPTH; depth++) {
      if (cur.type === this.root.type && cur.value === this.root.value) break;
      const node = this.#nodes.get(`${cur.type}:${cur.value}`);
      if (!node) break;
      // Names come escaped by vCenter ('/' as %2f), as inventory paths need them.
      parts.unshift(node.name);
      cur = node.parent;
    }
    return '/' + parts.join('/');
  }
}

/**
 * The compute inventory from the root folder in one PropertyCollector pass:
 * folders, datacenters, compute resources and hosts (name, parent), and with
 * `datastore`, the datastores with those properties too; each object with
 * its inventory path.
 */
export async function readComputeTree<P extends { name: string; parent: MoRef }>(
  client: VimClient,
  opts: { datastore?: string[] } = {},
): Promise<{ objects: RetrievedObject<P>[]; paths: InventoryPaths }> {
  const named = ['name', 'parent'];
  const ds = opts.datastore;
  const contents = await retrieveContents(client, [
    {
      propSet: [
        { type: 'Folder', pathSet: named },
        { type: 'Datacenter', pathSet: named },
        { type: 'ComputeResource', pathSet: named },
        { type: 'HostSystem', pathSet: named },
        ...(ds ? [{ type: 'Datastore', pathSet: [...named, ...ds] }] : []),
      ],
      objectSet: [
        {
          obj: client.sc.rootFolder,
          selectSet: [
            traversal('folders', 'Folder', 'childEntity', [
              'folders',
              ...(ds ? ['dcDatastores'] : []),
              'dcHosts',
              'crHosts',
            ]),
            ...(ds ? [traversal('dcDatastores', 'Datacenter', 'datastoreFolder', ['folders'])] : []),
            traversal('dcHosts', 'Datacenter', 'hostFolder', ['folders']),
            traversal('crHosts', 'ComputeResource', 'host'),
          ],
        },
      ],
    },
  ]);
  const objects = contents.map((c) => toRetrieved<P>(c));
  const paths = new InventoryPaths(client.sc.rootFolder);
  for (const o of objects) paths.add(o.ref, o.props.name ?? '', o.props.parent);
  return { objects, paths };
}
