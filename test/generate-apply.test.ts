// `vk generate … --apply` writes the drivers' config straight into the
// cluster (server-side apply, no file), reports created/unchanged/updated,
// and derives the CSI cluster-id from the kube-system namespace UID.
import { spawnSync } from 'node:child_process';
import { runVk, type VkResult } from './support/run-vk.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGo } from './support/go-build.js';
import { startKubeServer, type KubeServer } from './support/kube-server/index.js';

const password = 'apply-SECRET-7;#"\\';
let server: KubeServer;
let home: string;
let parsers: string;

beforeAll(async () => {
  server = await startKubeServer({ nodes: 1 });
  home = mkdtempSync(join(tmpdir(), 'vk-generate-apply-'));
  parsers = await buildGo('parsers');
});
afterAll(async () => server?.stop());

// Asynchronous on purpose: the kube server lives in this process.
function vk(args: string[]): Promise<VkResult> {
  return runVk(
    [...args, '--kubeconfig', server.kubeconfigPath],
    {
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      GOVC_URL: 'vc.example.com',
      GOVC_USERNAME: 'administrator@vsphere.local',
      GOVC_PASSWORD: password,
    },
    { cwd: home },
  );
}

const csi = [
  'generate',
  'csi',
  '--datacenter',
  'DC0',
  '--no-verify',
  '--apply',
  '--csi-username',
  'k8s-csi@vsphere.local',
];

describe('vk generate --apply', () => {
  it('creates the CSI secret with a cluster-id derived from kube-system, then reports it unchanged', async () => {
    const first = await vk(csi);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/Secret\s+vmware-system-csi\s+vsphere-config-secret\s+created/);
    expect(first.stdout + first.stderr).not.toContain('SECRET-7');

    const secret = server.store.get('Secret', 'vsphere-config-secret', 'vmware-system-csi') as {
      data?: Record<string, string>;
      stringData?: Record<string, string>;
    };
    expect(secret).toBeDefined();
    const conf =
      secret.stringData?.['csi-vsphere.conf'] ??
      Buffer.from(secret.data?.['csi-vsphere.conf'] ?? '', 'base64').toString('utf8');
    const r = spawnSync(parsers, ['csi-ini', '--version', 'v3.7.3'], { input: conf, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    // The reader prints the driver's config struct with its gcfg names (json tags).
    const parsed = JSON.parse(r.stdout) as {
      Global: { 'cluster-id': string };
      VirtualCenter: Record<string, { password: string; user: string }>;
    };
    expect(parsed.VirtualCenter['vc.example.com']!.password).toBe(password);
    expect(parsed.VirtualCenter['vc.example.com']!.user).toBe('k8s-csi@vsphere.local');

    const ns = server.store.get('Namespace', 'kube-system') as { metadata: { uid: string } };
    expect(ns.metadata.uid).toBeTruthy();
    expect(parsed.Global['cluster-id']).toMatch(/^vk-[0-9a-f]{32}$/);

    const second = await vk(csi);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/vsphere-config-secret\s+unchanged/);
    // Same cluster-id on every run.
    const again = server.store.get('Secret', 'vsphere-config-secret', 'vmware-system-csi') as typeof secret;
    expect(again).toEqual(secret);
  });

  it('applies the CPI Secret and ConfigMap into kube-system', async () => {
    const r = await vk(['generate', 'cpi', '--datacenter', 'DC0', '--no-verify', '--apply']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Secret\s+kube-system\s+vsphere-cloud-secret\s+created/);
    expect(r.stdout).toMatch(/ConfigMap\s+kube-system\s+vsphere-cloud-config\s+created/);
    const cm = server.store.get('ConfigMap', 'vsphere-cloud-config', 'kube-system') as
      { data: Record<string, string> } | undefined;
    expect(cm).toBeDefined();
    expect(cm!.data['vsphere.conf']).toContain('vc.example.com');
    expect(cm!.data['vsphere.conf']).not.toContain('SECRET-7');
  });
});
