// vk prepare-vms end to end: the built CLI against vcsim, results read back
// from the simulator (inspect 'vms'), never from vk's own output. Every test
// gets a simulator of its own, so each stands alone and any one can run by
// itself (-t) or in any order.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runVk } from './support/run-vk.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';

const ODD_NAME = 'web node ü 1';
let sim: Vcsim;

async function enableUuid(): Promise<Map<string, string | undefined>> {
  const vms = await sim.inspect('vms');
  for (const vm of vms) expect(vm.duplicateKeys, vm.name).toBeUndefined();
  return new Map(vms.map((v) => [v.name, v.enableUUID ?? undefined]));
}

const vk = (...args: string[]) => runVk(['prepare-vms', ...args], sim.env);

beforeEach(async () => {
  // /DC0/vm/k8s: k8s-node-0001..0012 (0001-0002 already set, 0003 powered off),
  // one template, subfolders a and b/c with two VMs each, a VM with an odd name;
  // 0011 is refused (no privilege), 0012 fails with a vCenter fault.
  sim = await startVcsim({
    tls: false,
    folder: '/DC0/vm/k8s',
    folderVms: 12,
    presetUuid: 2,
    poweredOff: 1,
    templates: 1,
    subfolders: ['a', 'b/c'],
    subfolderVms: 2,
    vmNames: [ODD_NAME],
    denyReconfigure: 'k8s-node-0011',
    failReconfigure: 'k8s-node-0012',
  });
}, 60_000);

afterEach(async () => {
  await sim?.stop();
});

describe('vk prepare-vms', () => {
  it('rejects usage errors with exit 2 before connecting', async () => {
    const none = await vk();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: no VM folder given; .*--folder/m);

    const cycle = await vk('k8s', '--power-cycle');
    expect(cycle.code).toBe(2);
    expect(cycle.stderr).toContain('--yes');

    const conc = await vk('k8s', '--concurrency', '0');
    expect(conc.code).toBe(2);
    expect(conc.stderr).toMatch(/^error: .*--concurrency/m);
    expect(conc.stderr).not.toMatch(/^\s+at /m);
  });

  it('names the closest folders when the folder does not exist', async () => {
    const r = await vk('k8z');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: VM folder "\/DC0\/vm\/k8z" not found; did you mean "\/DC0\/vm\/k8s"/);
    expect(r.stdout).toBe('');
  });

  it('fails with a clear message when no VM matches', async () => {
    const r = await vk('/DC0/vm/k8s', '--include', 'nothing-*');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: no VMs in \/DC0\/vm\/k8s .*excluded by --include\/--exclude/);
  });

  it('--dry-run shows what would change and changes nothing', async () => {
    const before = await enableUuid();
    const r = await vk('k8s', '--dry-run', '-o', 'json');
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { dryRun: boolean; vms: Array<{ name: string; result: string }> };
    expect(result.dryRun).toBe(true);
    const byName = new Map(result.vms.map((v) => [v.name, v.result]));
    expect(byName.get('k8s-node-0001')).toBe('already set');
    expect(byName.get('k8s-node-0004')).toBe('would change');
    expect(byName.get('a-node-0001')).toBe('would change');
    expect([...byName.values()].filter((v) => v === 'skipped (template)')).toHaveLength(1);
    expect(r.stderr).toContain('dry run: nothing changed');
    expect(await enableUuid()).toEqual(before);
  });

  it('--no-recursive with --include touches only the matching VMs of the folder itself', async () => {
    const r = await vk('k8s', '--no-recursive', '--include', 'k8s-node-000[4-5]', '--include', 'a-*');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('2 VMs: 2 changed');
    const after = await enableUuid();
    expect(after.get('k8s-node-0004')).toBe('TRUE');
    expect(after.get('k8s-node-0005')).toBe('TRUE');
    expect(after.get('k8s-node-0006')).toBeUndefined();
    expect(after.get('a-node-0001')).toBeUndefined();
  });

  it('sets the value on every VM, subfolders included; a failure does not stop the others', async () => {
    const r = await vk('/DC0/vm/k8s', '--exclude', 'k8s-node-0007', '--concurrency', '3');
    expect(r.code).toBe(1);
    const after = await enableUuid();
    for (const name of ['k8s-node-0003', 'k8s-node-0006', 'k8s-node-0010', 'a-node-0001', 'b-c-node-0002', ODD_NAME]) {
      expect(after.get(name), name).toBe('TRUE');
    }
    expect(after.get('k8s-node-0011')).toBeUndefined();
    expect(after.get('k8s-node-0012')).toBeUndefined();
    const template = [...after.keys()].find((n) => n.includes('template'))!;
    expect(after.get(template)).toBeUndefined();

    // The table: one row per VM with its result; failures carry the vCenter message on stderr.
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^VM\s+POWER\s+BEFORE\s+AFTER\s+RESULT$/);
    expect(rows.find((l) => l.includes(`/DC0/vm/k8s/${ODD_NAME} `))).toMatch(/poweredOn\s+\(unset\)\s+TRUE\s+changed$/);
    expect(rows.find((l) => l.includes('k8s-node-0001'))).toMatch(/already set$/);
    expect(rows.find((l) => l.includes(template))).toMatch(/skipped \(template\)$/);
    expect(rows.find((l) => l.includes('k8s-node-0012'))).toMatch(/failed$/);
    expect(r.stderr).toMatch(/k8s-node-0011: permission denied: .*VirtualMachine\.Config\.AdvancedConfig/);
    expect(r.stderr).toMatch(/k8s-node-0012: .{10,}/);
    expect(r.stderr).toMatch(/^17 VMs: 12 changed, 2 already set, 1 skipped \(template\), 2 failed$/m);
    // Powered-on VMs that changed are named; the powered-off one is not.
    const warning = r.stderr.split('\n').find((l) => l.includes('power cycle'))!;
    expect(warning).toContain('k8s-node-0006');
    expect(warning).toContain(ODD_NAME);
    expect(warning).not.toContain('k8s-node-0003');
    // Nothing was powered off without --power-cycle.
    const power = new Map((await sim.inspect('vms')).map((v) => [v.name, v.powerState]));
    expect(power.get('k8s-node-0006')).toBe('poweredOn');
    expect(power.get('k8s-node-0003')).toBe('poweredOff');
  });

  it('--power-cycle --yes power-cycles the powered-on VMs that changed, leaving them on', async () => {
    const r = await vk('k8s', '--include', 'k8s-node-0007', '--power-cycle', '--yes', '--shutdown-timeout', '5');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^k8s-node-0007: power-cycled \((guest shutdown|power off)\)$/m);
    const vm = (await sim.inspect('vms')).find((v) => v.name === 'k8s-node-0007')!;
    expect(vm.enableUUID).toBe('TRUE');
    expect(vm.powerState).toBe('poweredOn');
  });

  it('re-running on a prepared folder changes nothing and says so', async () => {
    const first = await vk('k8s', '--exclude', 'k8s-node-001[12]');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^16 VMs: 13 changed, 2 already set, 1 skipped \(template\)$/m);
    const before = await enableUuid();
    const r = await vk('k8s', '--exclude', 'k8s-node-001[12]', '-o', 'yaml', '--debug');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('result: already set');
    expect(r.stdout).not.toContain('result: changed');
    expect(r.stderr).toMatch(/^16 VMs: 15 already set, 1 skipped \(template\) \(nothing to change\)$/m);
    expect(r.stderr).not.toContain('power cycle');
    // After login: the folder tree and the VMs, one request each; no per-VM call.
    const methods = [...r.stderr.matchAll(/^debug: ([A-Za-z_]+) \d{3} \d+ms$/gm)].map((m) => m[1]!);
    const work = methods.filter((m) => !['RetrieveServiceContent', 'Login', 'Logout'].includes(m));
    expect(work.length, methods.join(' ')).toBeLessThanOrEqual(3);
    expect(await enableUuid()).toEqual(before);
  });
});
