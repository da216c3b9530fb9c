// What `vk init` checks its answers against: a datacenter's VM folders and
// datastores, read in one call. Shared by the flag path (init.ts) and the
// terminal questions (wizard.ts).

import { UsageError } from '../core/errors.js';
import type { VsphereSession } from '../vsphere/connect.js';
import { InventoryPaths, type DatacenterRef } from '../vsphere/inventory.js';
import { retrieveContents, toRetrieved, traversal } from '../vsphere/property-collector.js';
import type { MoRef } from '../vsphere/types.js';
import { absoluteFolderPath } from '../vms/prepare-vms.js';

/** A datacenter's VM folders (inventory paths) and datastores (names), from ONE RetrievePropertiesEx. */
export interface DatacenterInventory {
  datacenter: DatacenterRef;
  folders: string[];
  datastores: string[];
}

export async function readDatacenterInventory(
  session: VsphereSession,
  datacenter: DatacenterRef,
): Promise<DatacenterInventory> {
  const walk = () => [traversal('folders', 'Folder', 'childEntity', ['folders'])];
  const contents = await retrieveContents(session.client, [
    {
      propSet: [
        { type: 'Folder', pathSet: ['name', 'parent', 'childType'] },
        { type: 'Datastore', pathSet: ['name'] },
      ],
      objectSet: [
        { obj: datacenter.vmFolder, selectSet: walk() },
        { obj: datacenter.datastoreFolder, skip: true, selectSet: walk() },
      ],
    },
  ]);
  const objects = contents.map((c) => toRetrieved<{ name: string; parent: MoRef; childType: string[] }>(c));
  // Paths relative to the datacenter's VM folder, then made absolute.
  const paths = new InventoryPaths(datacenter.vmFolder);
  for (const o of objects) paths.add(o.ref, o.props.name ?? '', o.props.parent);
  const vmRoot = `${datacenter.path}/vm`;
  const folders = objects
    .filter((o) => o.ref.type === 'Folder' && (o.props.childType ?? []).includes('VirtualMachine'))
    .filter((o) => o.ref.value !== datacenter.vmFolder.value)
    .map((o) => vmRoot + paths.pathOf(o.ref))
    .sort();
  const datastores = objects
    .filter((o) => o.ref.type === 'Datastore')
    .map((o) => o.props.name ?? '')
    .sort();
  return { datacenter, folders, datastores };
}

/** The folder as an inventory path, when the datacenter has it; else a usage error listing them. */
export function checkFolder(wanted: string, inv: DatacenterInventory): string {
  const path = absoluteFolderPath(wanted, inv.datacenter);
  if (inv.folders.includes(path)) return path;
  throw new UsageError(
    `folder "${wanted}" not found in ${inv.datacenter.path}; VM folders: ${inv.folders.join(', ') || 'none'}`,
    { hint: 'pass one of them to --folder' },
  );
}

/** The datastore name, when the datacenter has it; else a usage error listing them. */
export function checkDatastore(wanted: string, inv: DatacenterInventory): string {
  const name = wanted.replace(/^.*\//, '');
  if (inv.datastores.includes(name)) return name;
  throw new UsageError(
    `datastore "${wanted}" not found in ${inv.datacenter.path}; datastores: ${inv.datastores.join(', ') || 'none'}`,
    { hint: 'pass one of them to --datastore' },
  );
}
