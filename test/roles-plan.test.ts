// Plans of `vk roles`: pure functions from the privilege table, the target
// objects and vCenter's current roles and permissions.
import { describe, expect, it } from 'vitest';
import { UsageError, VkError } from '../src/lib/core/errors.js';
import type { RoleTarget } from '../src/lib/roles/targets.js';
import { planCreateRoles, planDeleteRoles, requirements, type Existing } from '../src/lib/roles/roles.js';
import { normalizePrincipal, validatePrincipal } from '../src/lib/vsphere/authorization.js';

const ref = (type: string, value: string) => ({ type, value });
const targets: RoleTarget[] = [
  { ref: ref('Folder', 'group-d1'), path: '/', scope: 'rootFolder' },
  { ref: ref('Datacenter', 'dc1'), path: '/DC0', scope: 'datacenter' },
  { ref: ref('ClusterComputeResource', 'c1'), path: '/DC0/host/C0', scope: 'cluster' },
  { ref: ref('HostSystem', 'h1'), path: '/DC0/host/C0/H0', scope: 'host' },
  { ref: ref('Datastore', 'ds1'), path: '/DC0/datastore/ds1', scope: 'datastore' },
  { ref: ref('VirtualMachine', 'vm1'), path: '/DC0/vm/k8s/n1', scope: 'nodeVm' },
];
const csi = { user: 'csi' as const, principal: 'k8s-csi@vsphere.local', group: false };
const cpi = { user: 'cpi' as const, principal: 'k8s-cpi@vsphere.local', group: false };
const empty: Existing = { roles: [{ roleId: -2, name: 'ReadOnly', system: true }], permissions: [] };
const sys = ['System.Anonymous', 'System.Read', 'System.View'];

describe('planCreateRoles', () => {
  it('from scratch creates the CSI roles and one permission per object', () => {
    const plan = planCreateRoles({ principals: [csi, cpi], targets, existing: empty, prefix: 'K8S-' });
    expect(plan.roles.map((r) => `${r.name} ${r.action}`)).toEqual([
      'K8S-CNS-SEARCH-AND-SPBM create',
      'K8S-CNS-DATASTORE create',
      'K8S-CNS-VM create',
    ]);
    expect(plan.permissions.map((p) => `${p.object} ${p.role} ${p.principal.slice(0, 7)} ${p.propagate}`)).toEqual([
      '/ K8S-CNS-SEARCH-AND-SPBM k8s-csi false',
      '/DC0/datastore/ds1 K8S-CNS-DATASTORE k8s-csi false',
      '/DC0/vm/k8s/n1 K8S-CNS-VM k8s-csi false',
      '/DC0 ReadOnly k8s-csi false',
      '/DC0/host/C0 ReadOnly k8s-csi false',
      '/DC0/host/C0/H0 ReadOnly k8s-csi false',
      '/DC0 ReadOnly k8s-cpi true',
    ]);
  });

  it('--file-volumes adds CNS-HOST-CONFIG-STORAGE on file service clusters', () => {
    const withFs = [...targets, { ...targets[2]!, scope: 'fileServiceCluster' as const }];
    const plan = planCreateRoles({
      principals: [csi],
      targets: withFs,
      existing: empty,
      prefix: '',
      fileVolumes: true,
    });
    expect(plan.roles.map((r) => r.name)).toContain('CNS-HOST-CONFIG-STORAGE');
    expect(plan.permissions.filter((p) => p.role === 'CNS-HOST-CONFIG-STORAGE').map((p) => p.object)).toEqual([
      '/DC0/host/C0',
    ]);
  });

  it('permissions already in place are unchanged, whatever way the principal is written', () => {
    const existing: Existing = {
      roles: [
        ...empty.roles,
        {
          roleId: 10,
          name: 'CNS-SEARCH-AND-SPBM',
          system: false,
          privilege: ['Cns.Searchable', 'StorageProfile.View', ...sys],
        },
      ],
      permissions: [
        { entity: targets[0]!.ref, principal: 'VSPHERE.LOCAL\\k8s-csi', group: false, roleId: 10, propagate: false },
        { entity: targets[1]!.ref, principal: 'k8s-cpi@vsphere.local', group: false, roleId: -1, propagate: true },
      ],
    };
    expect(normalizePrincipal('VSPHERE.LOCAL\\k8s-csi')).toBe('k8s-csi@vsphere.local');
    const plan = planCreateRoles({ principals: [csi, cpi], targets, existing, prefix: '' });
    expect(plan.roles.find((r) => r.name === 'CNS-SEARCH-AND-SPBM')!.action).toBe('unchanged');
    expect(plan.permissions.find((p) => p.object === '/')!.action).toBe('unchanged');
    const cpiDc = plan.permissions.find((p) => p.principal === cpi.principal)!;
    expect(cpiDc).toMatchObject({ action: 'update', was: 'role -1' });
  });

  it('a role with other privileges is an error naming the difference, unless forced', () => {
    const existing: Existing = {
      roles: [
        ...empty.roles,
        {
          roleId: 11,
          name: 'CNS-VM',
          system: false,
          privilege: ['VirtualMachine.Config.AddExistingDisk', 'VirtualMachine.Config.Rename', ...sys],
        },
      ],
      permissions: [],
    };
    expect(() => planCreateRoles({ principals: [csi], targets, existing, prefix: '' })).toThrow(VkError);
    expect(() => planCreateRoles({ principals: [csi], targets, existing, prefix: '' })).toThrow(
      'role CNS-VM (+VirtualMachine.Config.AddRemoveDevice -VirtualMachine.Config.Rename) already exists',
    );
    const plan = planCreateRoles({ principals: [csi], targets, existing, prefix: '', force: true });
    expect(plan.roles.find((r) => r.name === 'CNS-VM')).toMatchObject({
      action: 'update',
      roleId: 11,
      added: ['VirtualMachine.Config.AddRemoveDevice'],
      removed: ['VirtualMachine.Config.Rename'],
    });
  });
});

describe('requirements', () => {
  it('the CPI user needs System.* on the datacenter only; the CSI user each role’s own privileges', () => {
    expect(requirements('cpi', targets, { prefix: '' }).map((r) => `${r.object} ${r.privileges.join(',')}`)).toEqual([
      `/DC0 ${sys.join(',')}`,
    ]);
    const csiReq = requirements('csi', targets, { prefix: '' });
    expect(csiReq.find((r) => r.object === '/DC0/datastore/ds1')!.privileges).toEqual(['Datastore.FileManagement']);
  });
});

describe('planDeleteRoles', () => {
  it('takes only the table’s role names with the prefix, never other roles', () => {
    const existing: Existing = {
      roles: [
        ...empty.roles,
        { roleId: 20, name: 'K8S-CNS-VM', system: false, privilege: [] },
        { roleId: 21, name: 'CNS-VM', system: false, privilege: [] },
        { roleId: 22, name: 'K8S-custom', system: false, privilege: [] },
      ],
      permissions: [
        { entity: targets[5]!.ref, principal: 'k8s-csi@vsphere.local', group: false, roleId: 20, propagate: false },
      ],
    };
    const plan = planDeleteRoles(existing, 'K8S-');
    expect(plan.roles).toEqual([
      {
        name: 'K8S-CNS-VM',
        roleId: 20,
        permissions: [{ entity: 'VirtualMachine:vm1', principal: 'k8s-csi@vsphere.local' }],
      },
    ]);
  });
});

describe('validatePrincipal', () => {
  it('accepts user@domain and DOMAIN\\name, rejects a bare name before any request', () => {
    expect(validatePrincipal('k8s-csi@vsphere.local', '--csi-user')).toBe('k8s-csi@vsphere.local');
    expect(validatePrincipal('VSPHERE.LOCAL\\k8s-storage', '--csi-user')).toBe('VSPHERE.LOCAL\\k8s-storage');
    expect(() => validatePrincipal('k8s-csi', '--csi-user')).toThrow('--csi-user "k8s-csi" is not a vCenter principal');
    expect(() => validatePrincipal('a b@vsphere.local', '--user')).toThrow(UsageError);
  });
});
