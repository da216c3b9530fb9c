// `vk roles create|check|delete` against the simulator, every effect read
// back through the launcher's own govmomi client (inspect roles /
// permissions), never from vk's output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customRoles } from '../src/lib/roles/privileges.js';
import { runVk } from './support/run-vk.js';
import { startVcsim, type Vcsim, type VcsimPermission } from './support/vcsim.js';

const CSI = 'k8s-csi@vsphere.local';
const CPI = 'k8s-cpi@vsphere.local';
const create = ['roles', 'create', '--csi-user', CSI, '--cpi-user', CPI, '--folder', 'k8s'];

let sim: Vcsim;
beforeAll(async () => {
  sim = await startVcsim({
    tls: false,
    cluster: 1,
    host: 2,
    ds: 1,
    nfs: 1,
    dsPartial: 1,
    folder: '/DC0/vm/k8s',
    folderVms: 2,
  });
});
afterAll(async () => {
  await sim?.stop();
});

const vk = (args: string[]) => runVk(args, sim.env);

/** Every permission in vCenter, in a stable order (inspect leaves same-principal user/group pairs unordered). */
async function allPermissions(): Promise<string[]> {
  return (await sim.inspect('permissions')).map((p) => JSON.stringify(p)).sort();
}

/** Permissions of the driver users, as "entity role principal propagate" lines. */
async function driverPermissions(): Promise<string[]> {
  const all: VcsimPermission[] = await sim.inspect('permissions');
  return all
    .filter((p) => p.principal === CSI || p.principal === CPI)
    .map((p) => `${p.entity} ${p.role} ${p.principal}${p.propagate ? ' propagate' : ''}`)
    .sort();
}

const expectedPermissions = [
  `/ CNS-SEARCH-AND-SPBM ${CSI}`,
  `/DC0 ReadOnly ${CPI} propagate`,
  `/DC0 ReadOnly ${CSI}`,
  `/DC0/datastore/LocalDS_0 CNS-DATASTORE ${CSI}`,
  `/DC0/datastore/NFS_0 CNS-DATASTORE ${CSI}`,
  `/DC0/host/DC0_C0 ReadOnly ${CSI}`,
  `/DC0/host/DC0_C0/DC0_C0_H0 ReadOnly ${CSI}`,
  `/DC0/host/DC0_C0/DC0_C0_H1 ReadOnly ${CSI}`,
  `/DC0/vm/k8s/k8s-node-0001 CNS-VM ${CSI}`,
  `/DC0/vm/k8s/k8s-node-0002 CNS-VM ${CSI}`,
].sort();

describe('vk roles', () => {
  it('--dry-run lists every role and permission and changes nothing', async () => {
    const roles = await sim.inspect('roles');
    const permissions = await allPermissions();
    const r = await vk([...create, '--dry-run', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { roles: Array<{ action: string }>; permissions: Array<{ action: string }> };
    expect(out.roles.map((x) => x.action)).toEqual(['would create', 'would create', 'would create']);
    expect(out.permissions).toHaveLength(expectedPermissions.length);
    expect(new Set(out.permissions.map((x) => x.action))).toEqual(new Set(['would create']));
    expect(await sim.inspect('roles')).toEqual(roles);
    expect(await allPermissions()).toEqual(permissions);
  });

  it('an unknown user is refused before anything changes, saying how principals are written', async () => {
    const r = await vk(['roles', 'create', '--csi-user', 'nobody@vsphere.local', '--folder', 'k8s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('vCenter has no such user: "nobody@vsphere.local"');
    expect(r.stderr).toContain('user@domain');
    expect(r.stderr).toContain('--group');
    expect((await sim.inspect('roles')).filter((x) => x.name.startsWith('CNS-'))).toEqual([]);
  });

  it('create makes the documented roles and sets the permissions on the right objects', async () => {
    const r = await vk(create);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OBJECT\s+ROLE\s+PRINCIPAL\s+ACTION/);
    const roles = await sim.inspect('roles');
    for (const want of customRoles()) {
      // CNS-HOST-CONFIG-STORAGE only comes with --file-volumes.
      const expected = want.name === 'CNS-HOST-CONFIG-STORAGE' ? undefined : want.privileges;
      expect(roles.find((x) => x.name === want.name)?.privileges, want.name).toEqual(expected);
    }
    expect(await driverPermissions()).toEqual(expectedPermissions);
  });

  it('a second run changes nothing and says so', async () => {
    const before = await allPermissions();
    const r = await vk([...create, '-o', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { roles: Array<{ action: string }>; permissions: Array<{ action: string }> };
    expect(new Set([...out.roles, ...out.permissions].map((x) => x.action))).toEqual(new Set(['unchanged']));
    expect(await allPermissions()).toEqual(before);
  });

  it('check passes for both users after create', async () => {
    const csi = await vk(['roles', 'check', '--user', CSI, '--folder', 'k8s']);
    expect(csi.stderr).toContain('holds all');
    expect(csi.code).toBe(0);
    expect(csi.stdout).toBe('');
    const cpi = await vk(['roles', 'check', '--user', CPI, '--cpi']);
    expect(cpi.code).toBe(0);
  });

  // vk doctor runs the same check when given the CSI user (its Kubernetes checks fail here: no cluster).
  const doctorPrivileges = async () => {
    const r = await vk(['doctor', '--csi-user', CSI, '--folder', 'k8s', '--kubeconfig', '/nonexistent', '-o', 'json']);
    const checks = JSON.parse(r.stdout) as Array<{ id: string; status: string; detail: string; fix?: string }>;
    return checks.find((c) => c.id === 'csi-privileges')!;
  };

  it('doctor --csi-user passes the same privilege check after create', async () => {
    const c = await doctorPrivileges();
    expect(c.status).toBe('pass');
  });

  it('check fails naming the privilege and object once a permission is removed', async () => {
    await sim.inspect('remove-permission', '/DC0/datastore/NFS_0', CSI);
    const d = await doctorPrivileges();
    expect(d.status).toBe('fail');
    expect(d.detail).toBe('missing Datastore.FileManagement on /DC0/datastore/NFS_0');
    expect(d.fix).toBe(`vk roles create --csi-user ${CSI} --folder k8s`);
    const r = await vk(['roles', 'check', '--user', CSI, '--folder', 'k8s', '-o', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { missing: Array<{ object: string; privilege: string; fix: string }> };
    expect(out.missing.map((m) => `${m.object} ${m.privilege}`)).toEqual([
      '/DC0/datastore/NFS_0 Datastore.FileManagement',
    ]);
    expect(out.missing[0]!.fix).toBe(`vk roles create --csi-user ${CSI} --folder k8s`);
  });

  it('a drifted role is reported with the difference and changed only with --force', async () => {
    await sim.inspect(
      'set-role-privileges',
      'CNS-VM',
      'VirtualMachine.Config.AddExistingDisk,VirtualMachine.Config.AdvancedConfig',
    );
    const drifted = (await sim.inspect('roles')).find((x) => x.name === 'CNS-VM')!.privileges;
    const permissions = await allPermissions();

    const refused = await vk(create);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'CNS-VM (+VirtualMachine.Config.AddRemoveDevice -VirtualMachine.Config.AdvancedConfig)',
    );
    expect(refused.stderr).toContain('--force');
    expect((await sim.inspect('roles')).find((x) => x.name === 'CNS-VM')!.privileges).toEqual(drifted);
    expect(await allPermissions()).toEqual(permissions);

    const forced = await vk([...create, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/CNS-VM\s+-\s+updated \(\+VirtualMachine\.Config\.AddRemoveDevice/);
    const want = customRoles().find((x) => x.name === 'CNS-VM')!.privileges;
    expect((await sim.inspect('roles')).find((x) => x.name === 'CNS-VM')!.privileges).toEqual(want);
    // The permission removed in the previous test is back.
    expect(await driverPermissions()).toEqual(expectedPermissions);
  });

  it('delete needs --yes without a terminal, then removes only vk roles and their permissions', async () => {
    const refused = await vk(['roles', 'delete']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect((await sim.inspect('roles')).some((x) => x.name === 'CNS-VM')).toBe(true);

    const others = (await sim.inspect('roles')).filter((x) => !x.name.startsWith('CNS-'));
    const r = await vk(['roles', 'delete', '--yes']);
    expect(r.code).toBe(0);
    expect(await sim.inspect('roles')).toEqual(others);
    expect(await driverPermissions()).toEqual(expectedPermissions.filter((p) => p.includes(' ReadOnly ')));
  });
});
