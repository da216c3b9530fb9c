import { describe, expect, it } from 'vitest';
import {
  customRoles,
  PERMISSIONS,
  permissionsFor,
  READ_ONLY_ROLE,
  roleName,
  rolePrivileges,
  SYSTEM_PRIVILEGES,
  validateRolePrefix,
  type PermissionRule,
} from '../src/lib/roles/privileges.js';
import { UsageError } from '../src/lib/core/errors.js';

const rule = (role: string): PermissionRule => {
  const found = PERMISSIONS.find((r) => r.role === role);
  if (!found) throw new Error(`no rule for ${role}`);
  return found;
};

describe('the CSI roles as the driver documentation lists them', () => {
  it.each([
    ['CNS-DATASTORE', ['Datastore.FileManagement'], ['datastore']],
    ['CNS-HOST-CONFIG-STORAGE', ['Host.Config.Storage'], ['fileServiceCluster']],
    ['CNS-VM', ['VirtualMachine.Config.AddExistingDisk', 'VirtualMachine.Config.AddRemoveDevice'], ['nodeVm']],
    ['CNS-SEARCH-AND-SPBM', ['Cns.Searchable', 'StorageProfile.View'], ['rootFolder']],
  ])('%s holds %j and is set on %j without propagation', (role, privileges, on) => {
    const r = rule(role);
    expect(r.user).toBe('csi');
    expect(r.builtin).toBe(false);
    expect([...r.privileges].sort()).toEqual([...privileges].sort());
    expect(r.on).toEqual(on);
    expect(r.propagate).toBe(false);
  });

  it('every custom role also carries System.Anonymous, System.Read and System.View', () => {
    for (const role of customRoles()) {
      for (const p of ['System.Anonymous', 'System.Read', 'System.View']) expect(role.privileges).toContain(p);
    }
    expect(rolePrivileges(rule('CNS-VM'))).toEqual([
      'System.Anonymous',
      'System.Read',
      'System.View',
      'VirtualMachine.Config.AddExistingDisk',
      'VirtualMachine.Config.AddRemoveDevice',
    ]);
    expect(SYSTEM_PRIVILEGES).toHaveLength(3);
  });

  it('the CSI user gets the built-in read-only role, not propagating, on datacenter, clusters and hosts', () => {
    const readOnly = permissionsFor('csi').filter((r) => r.builtin);
    expect(readOnly).toHaveLength(1);
    expect(readOnly[0]).toMatchObject({ role: 'ReadOnly', propagate: false });
    expect([...readOnly[0].on].sort()).toEqual(['cluster', 'datacenter', 'host']);
    expect(READ_ONLY_ROLE).toEqual({ name: 'ReadOnly', roleId: -2 });
  });

  it('CNS-HOST-CONFIG-STORAGE is only for file volumes', () => {
    expect(permissionsFor('csi').map((r) => r.role)).not.toContain('CNS-HOST-CONFIG-STORAGE');
    expect(permissionsFor('csi', { fileVolumes: true }).map((r) => r.role)).toContain('CNS-HOST-CONFIG-STORAGE');
  });
});

describe('the CPI user', () => {
  it('gets read-only on the datacenters, propagating, and nothing else', () => {
    const rules = permissionsFor('cpi', { fileVolumes: true });
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ role: 'ReadOnly', builtin: true, on: ['datacenter'], propagate: true });
  });
});

describe('role names', () => {
  it('prefixes custom roles and never the built-in one', () => {
    expect(roleName(rule('CNS-VM'), 'K8S-')).toBe('K8S-CNS-VM');
    expect(roleName(rule('CNS-VM'))).toBe('CNS-VM');
    expect(roleName(rule('ReadOnly'), 'K8S-')).toBe('ReadOnly');
    expect(customRoles('prod_').map((r) => r.name)).toEqual([
      'prod_CNS-SEARCH-AND-SPBM',
      'prod_CNS-DATASTORE',
      'prod_CNS-VM',
      'prod_CNS-HOST-CONFIG-STORAGE',
    ]);
  });

  it.each(['K8S CSI', '-x', 'a/b', 'ünï'])('rejects --role-prefix %j', (prefix) => {
    expect(() => validateRolePrefix(prefix)).toThrow(UsageError);
  });
});
