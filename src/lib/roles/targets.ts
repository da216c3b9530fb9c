// The objects the drivers' permissions go on, found in two PropertyCollector
// calls (the inventory tree with datastores, then the node VMs' folder):
// root folder, datacenter(s), clusters, hosts, datastores shared by all hosts
// of their cluster (or the ones named), node VMs, and with --file-volumes the
// clusters whose vSAN file service backs ReadWriteMany volumes.

import { UsageError } from '../core/errors.js';
import type { VsphereSession } from '../vsphere/connect.js';
import { listDatastores } from '../vsphere/datastores.js';
import { findByInventoryPath, readComputeTree, type DatacenterRef } from '../vsphere/inventory.js';
import { retrieveFromContainer } from '../vsphere/property-collector.js';
import type { MoRef } from '../vsphere/types.js';
import type { PermissionScope } from './privileges.js';

export interface RoleTarget {
  ref: MoRef;
  /** Inventory path ("/" for the root folder). */
  path: string;
  scope: PermissionScope;
}

export interface TargetQuery {
  /** Node VM folder: an inventory path, or a path relative to the datacenter's VM folder. */
  folder?: string;
  /** Datastore names; default: every datastore shared by all hosts of its cluster. */
  datastores?: string[];
  fileVolumes?: boolean;
}

export async function findTargets(session: VsphereSession, query: TargetQuery): Promise<RoleTarget[]> {
  const client = session.client;
  const datacenters = session.options.datacenter ? [await session.datacenter()] : await session.datacenters();
  const targets: RoleTarget[] = [{ ref: client.sc.rootFolder, path: '/', scope: 'rootFolder' }];
  const inDatacenters = (path: string) => datacenters.some((dc) => path.startsWith(`${dc.path}/`));
  for (const dc of datacenters) targets.push({ ref: dc.ref, path: dc.path, scope: 'datacenter' });

  const [tree, datastores] = await Promise.all([computeTree(session), listDatastores(client)]);
  for (const t of tree) {
    if (!inDatacenters(t.path)) continue;
    if (t.ref.type === 'HostSystem') targets.push({ ...t, scope: 'host' });
    if (t.ref.type === 'ClusterComputeResource') {
      targets.push({ ...t, scope: 'cluster' });
      // vSAN file service status is not part of vim25; every cluster of the
      // datacenter may serve file volumes once the user asks for them.
      if (query.fileVolumes) targets.push({ ...t, scope: 'fileServiceCluster' });
    }
  }

  const local = datastores.filter((d) => inDatacenters(d.path));
  const wanted = query.datastores ?? [];
  if (wanted.length > 0) {
    for (const name of wanted) {
      const match = local.filter((d) => d.name === name || d.path === name);
      if (match.length === 0) {
        throw new UsageError(`datastore "${name}" not found`, {
          hint: `vCenter has: ${local.map((d) => d.name).join(', ') || 'none'} (see vk datastores)`,
        });
      }
      for (const d of match) targets.push({ ref: d.ref, path: d.path, scope: 'datastore' });
    }
  } else {
    for (const d of local.filter((x) => x.sharedAcrossCluster)) {
      targets.push({ ref: d.ref, path: d.path, scope: 'datastore' });
    }
  }

  if (query.folder !== undefined) targets.push(...(await nodeVms(session, datacenters, query.folder)));
  return targets;
}

async function computeTree(session: VsphereSession): Promise<Array<{ ref: MoRef; path: string }>> {
  const { objects, paths } = await readComputeTree(session.client);
  return objects.map((o) => ({ ref: o.ref, path: paths.pathOf(o.ref) }));
}

/** The VMs in the node folder (like `vk prepare-vms`: inventory path or relative to the VM folder). */
async function nodeVms(session: VsphereSession, datacenters: DatacenterRef[], folder: string): Promise<RoleTarget[]> {
  let folderPath: string;
  if (folder.startsWith('/')) {
    folderPath = folder.replace(/\/+$/, '');
  } else {
    const dc = datacenters.length === 1 ? datacenters[0]! : await session.datacenter();
    folderPath = `${dc.path}/vm/${folder.replace(/^\/+|\/+$/g, '')}`;
  }
  const ref = await findByInventoryPath(session.client, folderPath);
  if (!ref || ref.type !== 'Folder') {
    throw new UsageError(`folder "${folder}" not found (looked for ${folderPath})`, {
      hint: 'pass the node VMs’ folder as an inventory path (/DC0/vm/k8s) or relative to the VM folder (k8s)',
    });
  }
  const vms = await retrieveFromContainer<{ name: string }>(session.client, {
    container: ref,
    type: 'VirtualMachine',
    paths: ['name'],
  });
  if (vms.length === 0) {
    throw new UsageError(`folder ${folderPath} holds no VMs`, { hint: 'pass the folder of the Kubernetes node VMs' });
  }
  return vms
    .map((vm) => ({ ref: vm.ref, path: `${folderPath}/${vm.props.name ?? vm.ref.value}`, scope: 'nodeVm' as const }))
    .sort((a, b) => a.path.localeCompare(b.path));
}
