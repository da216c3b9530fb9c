// `vk generate` against vCenter: the datacenters default to what the session
// finds, and driver credentials are checked with a login before anything is
// printed or written (skipped with --no-verify).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVk } from './support/run-vk.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';

let sim: Vcsim;
beforeAll(async () => {
  sim = await startVcsim({ dc: 2, tls: false, folder: '/DC0/vm/k8s', folderVms: 1 });
}, 120_000);
afterAll(async () => sim?.stop());

const vk = (args: string[]) => runVk(args, sim.env);

describe('vk generate with a vCenter session', () => {
  it('lists every datacenter the session finds when --datacenter is not given', async () => {
    const r = await vk(['generate', 'cpi', '--no-verify']);
    expect(r.stderr).not.toContain('error:');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/datacenters:\n\s+- DC0\n\s+- DC1/);
  });

  it("checks --internal-vm-network-name against the datacenter's networks, case as the CPI compares it", async () => {
    const ok = await vk([
      'generate',
      'cpi',
      '--datacenter',
      'DC0',
      '--no-verify',
      '--internal-vm-network-name',
      'vm network',
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('internalVmNetworkName: vm network');
    const bad = await vk([
      'generate',
      'cpi',
      '--datacenter',
      'DC0',
      '--no-verify',
      '--internal-vm-network-name',
      'VM Netwrok',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^error: --internal-vm-network-name "VM Netwrok": no such network in DC0 \(vCenter has [^)]*VM Network[^)]*\); did you mean --internal-vm-network-name "VM Network"\?\n$/,
    );
    expect(bad.stdout).toBe('');
  });

  it('checks the CSI credentials with a login and refuses wrong ones, naming the user and the fix', async () => {
    const csi = (password: string) =>
      vk([
        'generate',
        'csi',
        '--datacenter',
        'DC0',
        '--cluster-id',
        'c1',
        '--csi-username',
        sim.username,
        '--csi-password',
        password,
      ]);
    const ok = await csi(sim.password);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(`checking the CSI credentials of ${sim.username}`);

    const bad = await csi('WrongPass-42');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    const lines = bad.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('error:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`the CSI credentials of ${sim.username} do not work`);
    expect(bad.stderr).not.toContain('WrongPass-42');
  });

  it('with --folder, also asks vCenter whether the CSI user holds the driver privileges', async () => {
    const args = ['generate', 'csi', '--datacenter', 'DC0', '--cluster-id', 'c1', '--debug'];
    const creds = ['--csi-username', sim.username, '--csi-password', sim.password];
    const withFolder = await vk([...args, ...creds, '--folder', 'k8s']);
    expect(withFolder.code).toBe(0);
    expect(withFolder.stderr).toMatch(/debug: HasUserPrivilegeOnEntities 200/);
    const without = await vk([...args, ...creds]);
    expect(without.code).toBe(0);
    expect(without.stderr).not.toContain('HasUserPrivilegeOnEntities');
  });
});
