// vk install csi and topology, end to end at the newest Kubernetes minor of
// the table (CSI v3.8.0) and an older one: the built CLI against the
// in-memory kube API server with the fixture manifests served locally. What
// the csi-provisioner runs with is read back from the server's store.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startKubeServer, type KubeObject, type KubeServer } from './support/kube-server/index.js';
import { startManifestServer, type ManifestServer } from './fixtures/manifests/server.js';
import { compatibilityTable } from '../src/lib/manifests/compatibility.js';

const ROOT = join(import.meta.dirname, '..');
const home = mkdtempSync(join(tmpdir(), 'vk-install-topology-'));
let kube: KubeServer;
let manifests: ManifestServer;

function installCsi(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const vc = ['--url', 'vc.example.com', '--username', 'k8s@vsphere.local', '--password', 'pw', '--datacenter', 'DC1'];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/run.js'), 'install', 'csi', ...vc, '--cluster-id', 'c1', '--timeout', '20s', ...args],
      {
        env: {
          PATH: process.env.PATH,
          HOME: home,
          XDG_CONFIG_HOME: home,
          NO_COLOR: '1',
          VK_MANIFEST_BASE_URL: manifests.baseUrl,
          KUBECONFIG: kube.kubeconfigPath,
        },
        timeout: 50_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const newest = compatibilityTable()[0]!;

/** A cluster at `gitVersion` whose nodes the CPI has initialized; every CSI tag is served from the v3.7.0 fixture. */
async function cluster(gitVersion: string) {
  kube = await startKubeServer({ nodes: 2, nodeOptions: { controlPlane: 1, uuids: ['u-1', 'u-2'] } });
  kube.setVersion(gitVersion);
  for (const node of kube.store.list('Node')) {
    const uuid = node.metadata.name.endsWith('1') ? 'u-1' : 'u-2';
    kube.store.put({ ...node, spec: { ...(node.spec as object), providerID: `vsphere://${uuid}` } });
  }
  manifests = await startManifestServer({
    aliases: { 'v3.8.0': 'v3.7.0', 'v3.7.3': 'v3.7.0', 'v3.5.1': 'v3.7.0' },
  });
}

function provisionerArgs(): string[] {
  const d = kube.store.get('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')!;
  const spec = d.spec as { template: { spec: { containers: { name: string; args?: string[] }[] } } };
  return spec.template.spec.containers.find((c) => c.name === 'csi-provisioner')!.args ?? [];
}

function csiConf(): string {
  const s = kube.store.get('Secret', 'vsphere-config-secret', 'vmware-system-csi') as KubeObject;
  const data = s.data as Record<string, string> | undefined;
  if (data?.['csi-vsphere.conf']) return Buffer.from(data['csi-vsphere.conf'], 'base64').toString();
  return (s.stringData as Record<string, string>)['csi-vsphere.conf']!;
}

afterEach(async () => {
  await kube?.stop();
  await manifests?.close();
});

describe('vk install csi with topology', () => {
  it(`at Kubernetes ${newest.kubernetes} (CSI ${newest.csi}): --topology-category turns topology on and says so`, async () => {
    await cluster(`v${newest.kubernetes}.2`);
    const r = await installCsi('--topology-category', 'k8s-region', '--topology-category', 'k8s-zone', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).version).toBe(newest.csi);
    expect(r.stderr).toContain('topology on (categories k8s-region, k8s-zone)');
    const args = provisionerArgs();
    expect(args).toContain('--feature-gates=Topology=true');
    expect(args).toContain('--strict-topology');
    expect(csiConf()).toMatch(/topology-categories = "k8s-region,k8s-zone"/);
  });

  it('at Kubernetes 1.31 without --topology-category leaves the Topology gate and --strict-topology off', async () => {
    await cluster('v1.31.4');
    const r = await installCsi('-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    const args = provisionerArgs();
    expect(args.filter((a) => /Topology=true|strict-topology/.test(a))).toEqual([]);
    expect(csiConf()).not.toContain('topology-categories');
  });
});
