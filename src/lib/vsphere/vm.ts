// Virtual machines: the VM folders of the inventory, every VM under a folder
// with the properties vk reads (one RetrievePropertiesEx walking the folder,
// parent chains included so inventory paths cost no extra call), advanced
// settings (extraConfig) and power operations.

import type { VimClient } from './soap/client.js';
import { datacentersOf, InventoryPaths, type DatacenterProps, type DatacenterRef } from './inventory.js';
import { retrieveWithExtraConfig } from './extra-config.js';
import type { UnreadablePropertyError } from './soap/faults.js';
import { retrieveContents, retrieveOne, toRetrieved, traversal } from './property-collector.js';
import { startTask } from './task.js';
import { refKey, type MoRef, type UpdateSet } from './types.js';
import { xsd, type SoapObject } from './soap/xml.js';

export type PowerState = 'poweredOn' | 'poweredOff' | 'suspended';

/** A VM folder (or datacenter) of the inventory. */
export interface FolderNode {
  ref: MoRef;
  name: string;
  parent?: MoRef;
}

/** Every datacenter and every VM folder under them, from ONE RetrievePropertiesEx. */
export interface VmFolderTree {
  datacenters: DatacenterRef[];
  /** VM folders (datacenters' vmFolder included) by refKey. */
  folders: Map<string, FolderNode>;
  paths: InventoryPaths;
}

export async function readVmFolderTree(client: VimClient): Promise<VmFolderTree> {
  const contents = await retrieveContents(client, [
    {
      propSet: [
        { type: 'Folder', pathSet: ['name', 'parent', 'childType'] },
        {
          type: 'Datacenter',
          pathSet: ['name', 'parent', 'vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder'],
        },
      ],
      objectSet: [
        {
          obj: client.sc.rootFolder,
          selectSet: [
            traversal('folders', 'Folder', 'childEntity', ['folders', 'dcVms']),
            traversal('dcVms', 'Datacenter', 'vmFolder', ['folders']),
          ],
        },
      ],
    },
  ]);
  type Props = DatacenterProps & { childType: string[] };
  const objects = contents.map((c) => toRetrieved<Props>(c));
  const paths = new InventoryPaths(client.sc.rootFolder);
  for (const o of objects) paths.add(o.ref, o.props.name ?? '', o.props.parent);
  const datacenters = datacentersOf(objects, paths);
  const folders = new Map<string, FolderNode>();
  for (const o of objects) {
    if (o.ref.type !== 'Folder' || !(o.props.childType ?? []).includes('VirtualMachine')) continue;
    folders.set(refKey(o.ref), { ref: o.ref, name: o.props.name ?? '', parent: o.props.parent });
  }
  return { datacenters, folders, paths };
}

/** One VM as vk reads it. */
export interface VmSummary {
  ref: MoRef;
  name: string;
  /** Inventory path, e.g. /DC0/vm/k8s/node-1. */
  path: string;
  powerState: PowerState;
  /** BIOS UUID (config.uuid). */
  uuid?: string;
  template: boolean;
  /** extraConfig values vk asked for, by key; absent keys are not set. */
  extraConfig: Record<string, string>;
  /** A property vk asked for could not be read (e.g. NoPermission): nothing above is known to be unset. */
  unreadable?: UnreadablePropertyError;
}

interface VmProps {
  name: string;
  parent: MoRef;
  parentVApp: MoRef;
  'runtime.powerState': PowerState;
  'config.uuid': string;
  'config.template': boolean;
}

export interface ListVmsOptions {
  /** Include VMs in nested folders and vApps (default true). */
  recursive?: boolean;
  /** extraConfig keys to report. */
  extraConfigKeys?: string[];
}

/**
 * Every VM under `folder` with its power state, UUID, template flag and the
 * asked-for extraConfig keys (each by its keyed path, not the whole array:
 * see extra-config.ts), in one RetrievePropertiesEx (plus pages).
 * Paths are computed locally from each VM's parent and `tree`.
 *
 * A TraversalSpec from the folder (childEntity, recursively through folders
 * and vApps) selects the same VMs as a recursive ContainerView, without the
 * CreateContainerView/DestroyView round trips: a re-run on a prepared folder
 * costs two requests after login (folder tree, VMs) instead of four.
 */
export async function listVmsInFolder(
  client: VimClient,
  folder: MoRef,
  tree: VmFolderTree,
  options: ListVmsOptions = {},
): Promise<VmSummary[]> {
  const recursive = options.recursive ?? true;
  const selectSet = recursive
    ? [traversal('folders', 'Folder', 'childEntity', ['folders', 'vapps']), traversal('vapps', 'VirtualApp', 'vm')]
    : [traversal('folders', 'Folder', 'childEntity')];
  const paths: Array<keyof VmProps> = [
    'name',
    'parent',
    'parentVApp',
    'runtime.powerState',
    'config.uuid',
    'config.template',
  ];
  type Props = VmProps & { parentFolder: MoRef };
  const read = await retrieveWithExtraConfig<Props>(
    client,
    options.extraConfigKeys ?? [],
    paths,
    async (pathSet) => {
      const contents = await retrieveContents(client, [
        {
          propSet: [
            { type: 'VirtualMachine', pathSet },
            ...(recursive ? [{ type: 'VirtualApp', pathSet: ['name', 'parentFolder'] }] : []),
          ],
          objectSet: [{ obj: folder, skip: true, selectSet }],
        },
      ]);
      return contents.map((c) => toRetrieved<Props>(c));
    },
    (o) => o.props.name,
  );
  for (const { object: o } of read) {
    if (o.ref.type === 'VirtualApp') tree.paths.add(o.ref, o.props.name ?? '', o.props.parentFolder);
  }
  const seen = new Set<string>();
  const vms: VmSummary[] = [];
  for (const { object: o, extraConfig } of read) {
    if (o.ref.type !== 'VirtualMachine' || seen.has(o.ref.value)) continue;
    seen.add(o.ref.value);
    const p = o.props;
    const name = p.name ?? o.ref.value;
    const parent = p.parent ?? p.parentVApp;
    vms.push({
      ref: o.ref,
      name,
      path: (parent ? tree.paths.pathOf(parent) : tree.paths.pathOf(folder)) + '/' + name,
      powerState: p['runtime.powerState'] ?? 'poweredOff',
      uuid: p['config.uuid'],
      template: p['config.template'] === true,
      extraConfig: extraConfig.values,
      unreadable: extraConfig.unreadable,
    });
  }
  return vms.sort((a, b) => a.path.localeCompare(b.path));
}

/** Starts ReconfigVM_Task setting extraConfig keys (string values); returns the task. */
export async function startSetExtraConfig(
  client: VimClient,
  vm: MoRef,
  values: Record<string, string>,
): Promise<MoRef> {
  const extraConfig: SoapObject[] = Object.entries(values).map(([key, value]) => ({
    _type: 'OptionValue',
    key,
    value: xsd('string', value),
  }));
  return startTask(client, 'ReconfigVM_Task', vm, { spec: { extraConfig } });
}

/** Whether VMware Tools run in the guest now (a guest shutdown needs them). */
export async function toolsRunning(client: VimClient, vm: MoRef): Promise<boolean> {
  const props = await retrieveOne<{ 'guest.toolsRunningStatus': string }>(client, vm, ['guest.toolsRunningStatus']);
  return props['guest.toolsRunningStatus'] === 'guestToolsRunning';
}

/** Asks the guest OS to shut down (returns at once; the VM powers off later). Needs VMware Tools. */
export async function shutdownGuest(client: VimClient, vm: MoRef): Promise<void> {
  await client.invoke('ShutdownGuest', vm);
}

/**
 * Waits until `vm`'s runtime.powerState is `state` or `timeoutMs` passes,
 * with one filter and WaitForUpdatesEx (no polling). Returns whether it got there.
 */
export async function waitForPowerState(
  client: VimClient,
  vm: MoRef,
  state: PowerState,
  timeoutMs: number,
): Promise<boolean> {
  const collector = await client.invoke<MoRef>(
    'CreatePropertyCollector',
    client.sc.propertyCollector,
    {},
    'ManagedObjectReference',
  );
  const deadline = Date.now() + timeoutMs;
  try {
    await client.invoke('CreateFilter', collector, {
      spec: { propSet: [{ type: 'VirtualMachine', pathSet: ['runtime.powerState'] }], objectSet: [{ obj: vm }] },
      partialUpdates: false,
    });
    let version = '';
    const requestCap = Math.max(1, Math.floor(client.timeoutMs / 1000) - 5);
    for (;;) {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      if (left <= 0) return false;
      const set = await client.invoke<UpdateSet | undefined>(
        'WaitForUpdatesEx',
        collector,
        { version, options: { maxWaitSeconds: Math.min(left, requestCap) } },
        'UpdateSet',
      );
      if (!set) continue;
      version = set.version;
      for (const f of set.filterSet ?? []) {
        for (const u of f.objectSet ?? []) {
          const change = u.changeSet?.find((c) => c.name === 'runtime.powerState');
          if (change?.val === state) return true;
        }
      }
    }
  } finally {
    await client.invoke('DestroyPropertyCollector', collector).catch(() => undefined);
  }
}
