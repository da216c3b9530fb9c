// The least-privilege vSphere roles and permissions the CPI and CSI driver
// users need: one table, read by `vk roles create|check|delete`, `vk generate`
// and `vk doctor`. A driver release that needs another privilege is a change
// to one row.
//
// Source for the CSI rows — role names, privileges, and the objects each role
// is assigned on, all without propagation — the "vSphere Roles and
// Privileges" section of the driver's deployment prerequisites, including the
// role "USAGE" screenshots it shows for each role:
// https://github.com/kubernetes-sigs/vsphere-csi-driver/blob/2fb20b7cd8a7b4ee4ef419df05e4d1f80aa19c2c/docs/book/driver-deployment/prerequisites.md#roles_and_privileges
// That page has since moved to VMware's documentation of the "vSphere
// Container Storage Plug-in" (now https://techdocs.broadcom.com/us/en/vmware-cis/vsphere/container-storage-plugin/3-0.html,
// "vSphere Roles and Privileges"); that page could not be read here, so a
// difference in a newer driver release would not show in this table yet.
//
// Source for the CPI row: "The vSphere Cloud Controller Manager requires the
// Read permission on the parent entities of the node VMs" —
// https://github.com/kubernetes/cloud-provider-vsphere/blob/master/docs/book/vcp_roles.md
// vk grants the built-in read-only role on the datacenter(s), propagating,
// which covers every such parent.

import { UsageError } from '../core/errors.js';

/** How many missing privileges a failing check names; its fix grants them all and `vk roles check` lists every one. */
export const MISSING_PRIVILEGES_SHOWN = 3;

export type DriverUser = 'csi' | 'cpi';

/**
 * Where a permission is set. `rootFolder` is the vCenter root ("Root vCenter
 * Server" in the docs); `fileServiceCluster` a cluster with vSAN file
 * services enabled.
 */
export type PermissionScope =
  'rootFolder' | 'datacenter' | 'cluster' | 'host' | 'datastore' | 'nodeVm' | 'fileServiceCluster';

/**
 * Every custom role carries these: the docs' `govc role.ls` output lists them
 * for each CNS role, and vCenter (like vcsim's AddAuthorizationRole) adds
 * them to any role it creates, so comparing an existing role needs them.
 */
export const SYSTEM_PRIVILEGES = ['System.Anonymous', 'System.Read', 'System.View'] as const;

/** vCenter's built-in read-only role (roleId -2 on vCenter and in vcsim). */
export const READ_ONLY_ROLE = { name: 'ReadOnly', roleId: -2 } as const;

export interface PermissionRule {
  /** Custom role name before `--role-prefix`, or READ_ONLY_ROLE.name. */
  role: string;
  builtin: boolean;
  /** The role's own privileges, without SYSTEM_PRIVILEGES. */
  privileges: readonly string[];
  user: DriverUser;
  on: readonly PermissionScope[];
  propagate: boolean;
  /** Needed only for ReadWriteMany file volumes (`--file-volumes`). */
  fileVolumesOnly?: true;
  /** Why the driver needs it, for `vk roles check` and `--dry-run`. */
  reason: string;
}

export const PERMISSIONS: readonly PermissionRule[] = [
  {
    role: 'CNS-SEARCH-AND-SPBM',
    builtin: false,
    privileges: ['Cns.Searchable', 'StorageProfile.View'],
    user: 'csi',
    on: ['rootFolder'],
    propagate: false,
    reason: 'query CNS volumes and read storage policies',
  },
  {
    role: 'CNS-DATASTORE',
    builtin: false,
    privileges: ['Datastore.FileManagement'],
    user: 'csi',
    on: ['datastore'],
    propagate: false,
    reason: 'create and delete volume files on the datastores volumes live on',
  },
  {
    role: 'CNS-VM',
    builtin: false,
    privileges: ['VirtualMachine.Config.AddExistingDisk', 'VirtualMachine.Config.AddRemoveDevice'],
    user: 'csi',
    on: ['nodeVm'],
    propagate: false,
    reason: 'attach and detach volumes on the node VMs',
  },
  {
    role: 'CNS-HOST-CONFIG-STORAGE',
    builtin: false,
    privileges: ['Host.Config.Storage'],
    user: 'csi',
    on: ['fileServiceCluster'],
    propagate: false,
    fileVolumesOnly: true,
    reason: 'create file shares on vSAN file service clusters',
  },
  {
    role: READ_ONLY_ROLE.name,
    builtin: true,
    privileges: [],
    user: 'csi',
    on: ['datacenter', 'cluster', 'host'],
    propagate: false,
    reason: 'read the node VMs’ ancestors, their tags and categories for topology',
  },
  {
    role: READ_ONLY_ROLE.name,
    builtin: true,
    privileges: [],
    user: 'cpi',
    on: ['datacenter'],
    propagate: true,
    reason: 'find node VMs and read every parent of them',
  },
];

const ROLE_PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Validates `--role-prefix` (e.g. "K8S-"): letters, digits, "_", "." and "-". */
export function validateRolePrefix(prefix: string): string {
  if (prefix === '') return prefix;
  if (!ROLE_PREFIX.test(prefix)) {
    throw new UsageError(`invalid --role-prefix "${prefix}": use letters, digits, "_", "." and "-" only`, {
      hint: 'for example --role-prefix K8S-',
    });
  }
  return prefix;
}

/** The name a rule's role has in vCenter: the built-in role keeps its name. */
export function roleName(rule: Pick<PermissionRule, 'role' | 'builtin'>, prefix = ''): string {
  return rule.builtin ? rule.role : `${validateRolePrefix(prefix)}${rule.role}`;
}

/** Every privilege a holder of the rule's role has, sorted as vCenter lists them. */
export function rolePrivileges(rule: PermissionRule): string[] {
  return [...new Set([...rule.privileges, ...SYSTEM_PRIVILEGES])].sort();
}

/** The rules for one driver user; file-volume rules only when asked for. */
export function permissionsFor(user: DriverUser, opts: { fileVolumes?: boolean } = {}): PermissionRule[] {
  return PERMISSIONS.filter((r) => r.user === user && (!r.fileVolumesOnly || opts.fileVolumes === true));
}

/** The custom roles vk creates (and is allowed to delete), with their full privilege lists. */
export function customRoles(prefix = ''): { name: string; privileges: string[] }[] {
  const seen = new Map<string, string[]>();
  for (const rule of PERMISSIONS) {
    if (!rule.builtin) seen.set(roleName(rule, prefix), rolePrivileges(rule));
  }
  return [...seen].map(([name, privileges]) => ({ name, privileges }));
}
