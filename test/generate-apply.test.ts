// `vk generate … --apply` writes the drivers' config straight into the
// cluster (server-side apply, no file), reports created/unchanged/updated,
// and derives the CSI cluster-id from the kube-system namespace UID.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBox } from './support/box.js';
import { buildGo } from './support/go-build.js';
import { runVk } from './support/run-vk.js';

const password = 'apply-SECRET-7;#"\\';
const box = useBox({ noVcsim: true });
let parsers: string;

beforeAll(async () => {
  parsers = await buildGo('parsers');
});

const vk = (args: string[]) =>
  runVk([...args, '--kubeconfig', box.kubeconfig], {
    GOVC_URL: 'vc.example.com',
    GOVC_USERNAME: 'administrator@vsphere.local',
    GOVC_PASSWORD: password,
  });

const csi = [
  'generate',
  'csi',
  '--datacenter',
  'DC0',
  '--no-verify',
  '--apply',
  '--csi-username',
  'k8s-csi@vsphere.local',
  '--csi-password',
  password,
];

describe('vk generate --apply', () => {
  it('creates the CSI secret with a cluster-id derived from kube-system, then reports it unchanged', async () => {
    const first = await vk(csi);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Secret\s+vmware-system-csi\s+vsphere-config-secret\s+created/);
    expect(first.stdout + first.stderr).not.toContain('SECRET-7');

    const secret = (await box.store.get('Secret', 'vsphere-config-secret', 'vmware-system-csi')) as unknown as {
      data?: Record<string, string>;
      stringData?: Record<string, string>;
    };
    expect(secret).toBeDefined();
    const conf =
      secret.stringData?.['csi-vsphere.conf'] ??
      Buffer.from(secret.data?.['csi-vsphere.conf'] ?? '', 'base64').toString('utf8');
    const r = spawnSync(parsers, ['csi-ini', '--version', 'v3.7.3'], { input: conf, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const parsed = JSON.parse(r.stdout) as {
      Global: { 'cluster-id': string };
      VirtualCenter: Record<string, { password: string; user: string }>;
    };
    expect(parsed.VirtualCenter['vc.example.com']!.password).toBe(password);
    expect(parsed.VirtualCenter['vc.example.com']!.user).toBe('k8s-csi@vsphere.local');

    const ns = (await box.store.get('Namespace', 'kube-system'))!;
    expect(ns.metadata.uid).toBeTruthy();
    expect(parsed.Global['cluster-id']).toMatch(/^vk-[0-9a-f]{32}$/);

    const second = await vk(csi);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/vsphere-config-secret\s+unchanged/);
    // Same cluster-id on every run.
    const again = (await box.store.get(
      'Secret',
      'vsphere-config-secret',
      'vmware-system-csi',
    )) as unknown as typeof secret;
    expect(again).toEqual(secret);
  });

  it('applies the CPI Secret and ConfigMap into kube-system', async () => {
    const r = await vk(['generate', 'cpi', '--datacenter', 'DC0', '--no-verify', '--apply']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Secret\s+kube-system\s+vsphere-cloud-secret\s+created/);
    expect(r.stdout).toMatch(/ConfigMap\s+kube-system\s+vsphere-cloud-config\s+created/);
    const cm = (await box.store.get('ConfigMap', 'vsphere-cloud-config', 'kube-system')) as unknown as {
      data: Record<string, string>;
    };
    expect(cm.data['vsphere.conf']).toContain('vc.example.com');
    expect(cm.data['vsphere.conf']).not.toContain('SECRET-7');
  });
});
