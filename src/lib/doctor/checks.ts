// The shape every read-only check reports in (`vk doctor`, and the
// preflights of install that reuse its checks), and the registry of those
// checks: each id with its title, in the order `vk doctor` prints them, and
// which of them need what, so that a connection that fails skips its
// dependents by name. The domain modules that produce the checks import this
// one; it imports none of them.

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

/** Every check `vk doctor` runs, its title, in the order it prints them. */
const TITLES = {
  vcenter: 'vCenter reachable, credentials valid',
  kubernetes: 'Kubernetes reachable',
  datacenters: 'Datacenters of vk and the drivers exist',
  'nodes-vms': 'Every node matched to its VM',
  'disk-uuid': 'disk.enableUUID=TRUE on node VMs',
  'node-addresses': 'Node InternalIPs are IPs of their VMs',
  'vsphere-version': 'vCenter and ESXi versions run the CSI release',
  // 15: MIN_VM_HARDWARE of drivers/manifests/compatibility.ts (a unit test keeps them equal).
  'vm-hardware': 'Node VMs at virtual hardware 15 or later',
  'vmware-tools': 'VMware Tools running on node VMs',
  'zone-tags': 'Every node has one tag of each topology category',
  'vsan-file-services': 'vSAN File Services enabled for ReadWriteMany volumes',
  'nodes-initialized': 'Nodes initialized by the CPI',
  cpi: 'vSphere CPI running',
  csi: 'vSphere CSI driver running',
  storageclass: 'Default StorageClass uses the CSI driver',
  'storageclass-datastore': "StorageClass datastores reachable from every node's host",
  'in-tree': 'No in-tree vSphere volumes',
  'csi-user': 'CSI user has a domain',
  'cluster-id': 'CSI cluster-id unique to this cluster',
  'tls-trust': 'Drivers trust the same vCenter as vk',
  'cpi-drift': 'vSphere CPI release and images match the table and its manifest',
  'csi-drift': 'vSphere CSI release and images match the table and its manifest',
  snapshots: 'Volume snapshots ready for the CSI driver',
  // Only with --csi-user, whose title names the user (csiPrivilegesTitle).
  'csi-privileges': 'CSI user holds the privileges the driver needs',
} as const;

export type CheckId = keyof typeof TITLES;

/** The ids in the order `vk doctor` prints them. */
export const CHECK_IDS = Object.keys(TITLES) as CheckId[];

/** The title of csi-privileges, which names the user checked. */
export const csiPrivilegesTitle = (user: string) => `CSI user ${user} holds the privileges the driver needs`;

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** A check's result, titled from the table (`title` only for csi-privileges, which names its user). */
export function check(
  id: CheckId,
  status: CheckStatus,
  detail: string,
  fix?: string,
  title: string = TITLES[id],
): CheckResult {
  return { id, title, status, detail, ...(fix !== undefined ? { fix } : {}) };
}

/** These checks skipped, each with the reason as its detail. */
export function skipped(ids: readonly CheckId[], reason: string): CheckResult[] {
  return ids.map((id) => check(id, 'skip', reason));
}

// ---------------------------------------------------------------- what the checks need

/** Read from the VMs the nodes were matched to (by nodes-vms). */
export const NEEDS_MATCHED_VMS = ['disk-uuid', 'node-addresses'] as const satisfies readonly CheckId[];

/** Need the nodes and their VMs: Kubernetes and vCenter. */
export const NEEDS_NODE_VMS = ['nodes-vms', ...NEEDS_MATCHED_VMS] as const satisfies readonly CheckId[];

/** The node VMs' part of the vSphere requirements: need the nodes matched to their VMs too. */
export const NODE_VM_REQUIREMENTS = ['vm-hardware', 'vmware-tools'] as const satisfies readonly CheckId[];

/** What vSphere must offer the drivers: need vCenter. */
export const VSPHERE_REQUIREMENTS = ['vsphere-version', ...NODE_VM_REQUIREMENTS] as const satisfies readonly CheckId[];

/** The cluster's checks: need Kubernetes (and its nodes). */
export const NEEDS_KUBE = [
  'nodes-initialized',
  'cpi',
  'csi',
  'storageclass',
  'storageclass-datastore',
  'in-tree',
  'csi-user',
  'cluster-id',
  'tls-trust',
  'cpi-drift',
  'csi-drift',
  'snapshots',
] as const satisfies readonly CheckId[];

/** The first `n` items joined, then "and N more": how a check names what it found. */
export function firstOf(items: string[], n = 5, separator = ', '): string {
  return items.length > n ? `${items.slice(0, n).join(separator)} and ${items.length - n} more` : items.join(separator);
}
