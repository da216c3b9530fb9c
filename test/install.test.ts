// `vk install cpi|csi` and `vk uninstall cpi|csi` end to end: the built CLI
// against the in-memory kube API server (its simulated CCM and CSI
// registration) with the fixture manifests served locally. Cluster state is
// read back through the server's store, not from vk's output.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runVk, type VkResult } from './support/run-vk.js';
import { startKubeServer, type KubeObject, type KubeServer } from './support/kube-server/index.js';
import { FIXTURE_DIR, startManifestServer, type ManifestServer } from './fixtures/manifests/server.js';

const ROOT = join(import.meta.dirname, '..');
const home = mkdtempSync(join(tmpdir(), 'vk-install-home-'));
const TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';
const PASSWORD = 'S3cr3t!pw';

let kube: KubeServer;
let manifests: ManifestServer;

function vk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<VkResult> {
  return runVk([...args, '--kubeconfig', kube.kubeconfigPath], {
    HOME: home,
    XDG_CONFIG_HOME: home,
    NO_COLOR: '1',
    VK_MANIFEST_BASE_URL: manifests.baseUrl,
    ...env,
  });
}

const vc = [
  '--url',
  'vc.example.com',
  '--username',
  'k8s@vsphere.local',
  '--password',
  PASSWORD,
  '--datacenter',
  'DC1',
];
const timeout = (args: string[]) => (args.includes('--timeout') ? [] : ['--timeout', '10s']);
const installCpi = (...args: string[]) => vk(['install', 'cpi', ...vc, ...timeout(args), ...args]);
const installCsi = (...args: string[]) =>
  vk(['install', 'csi', ...vc, '--cluster-id', 'test-cluster', ...timeout(args), ...args]);

/** resourceVersions of the objects an install applies, plus the nodes: what a no-op re-run must not change. */
const versionsOf = (objects: { kind: string; name: string; namespace?: string }[]) =>
  [...objects.map((o) => kube.store.get(o.kind, o.name, o.namespace)), ...kube.store.list('Node')].map(
    (o) => `${o?.kind}/${o?.metadata.name}@${o?.metadata.resourceVersion}`,
  );

type NodeSpec = { providerID?: string; taints?: { key: string }[] };
/** A Secret value as the API would serve it: data (base64) or, on this test server, stringData. */
const secretValue = (secret: KubeObject, key: string): string | undefined => {
  const data = secret.data as Record<string, string> | undefined;
  if (data?.[key] !== undefined) return Buffer.from(data[key], 'base64').toString();
  return (secret.stringData as Record<string, string> | undefined)?.[key];
};
const nodeSpec = (name: string) => (kube.store.get('Node', name)?.spec ?? {}) as NodeSpec;
/** The image of the workload's own container (named like the workload). */
const imageOf = (kind: string, name: string, ns: string) =>
  (
    kube.store.get(kind, name, ns)?.spec as {
      template: { spec: { containers: { name: string; image: string }[] } };
    }
  ).template.spec.containers.find((c) => c.name === name)!.image;

async function cluster(nodes = 3, controlPlane = 1, uuids: string[] = ['u-1', 'u-2', 'u-3', 'u-4']) {
  kube = await startKubeServer({ nodes, nodeOptions: { controlPlane, uuids: uuids.slice(0, nodes) } });
  manifests = await startManifestServer({ aliases: { 'v1.31.1': 'v1.31.0', 'v3.5.1': 'v3.7.0' } });
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/commands/install/cpi.js'))) throw new Error('run `npm run build` first');
});

afterEach(async () => {
  await kube?.stop();
  await manifests?.close();
});

describe('vk install cpi', () => {
  it('fresh install initializes every node; re-run is unchanged and writes nothing', async () => {
    await cluster();
    const r = await installCpi('-o', 'json');
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.version).toBe('v1.31.1');
    expect(doc.objects.map((o: { action: string }) => o.action)).toEqual(Array(doc.objects.length).fill('created'));
    expect(doc.rollouts[0]).toMatchObject({ kind: 'DaemonSet', name: 'vsphere-cloud-controller-manager' });
    expect(doc.verification.nodes.every((n: { initialized: boolean }) => n.initialized)).toBe(true);
    for (const [i, name] of ['k8s-node-0001', 'k8s-node-0002', 'k8s-node-0003'].entries()) {
      expect(nodeSpec(name).providerID).toBe(`vsphere://u-${i + 1}`);
      expect((nodeSpec(name).taints ?? []).map((t) => t.key)).not.toContain(TAINT);
    }
    // vk's own config replaced the manifest's placeholder, with the real password, labelled as vk's.
    const secret = kube.store.get('Secret', 'vsphere-cloud-secret', 'kube-system')!;
    expect(secretValue(secret, 'vc.example.com.password')).toBe(PASSWORD);
    expect(secret.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'vk', 'vk.io/component': 'cpi' });
    const conf = (kube.store.get('ConfigMap', 'vsphere-cloud-config', 'kube-system')!.data as Record<string, string>)[
      'vsphere.conf'
    ];
    expect(conf).toContain('DC1');
    expect(conf).not.toContain('placeholder');
    const ds = kube.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')!;
    expect(ds.metadata.managedFields?.map((m) => m.manager)).toContain('vk');

    const before = versionsOf(doc.objects);
    const again = await installCpi();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^KIND\s+NAMESPACE\s+NAME\s+RESULT\n/);
    expect(again.stdout).not.toMatch(/created|configured/);
    expect(again.stderr).toContain('every node has a providerID');
    expect(again.stderr).toMatch(/7 objects: 7 unchanged/);
    expect(versionsOf(doc.objects)).toEqual(before);
  });

  it('a newer --version upgrades the DaemonSet in place and waits for its rollout', async () => {
    await cluster();
    expect((await installCpi('--version', 'v1.31.0')).code).toBe(0);
    const r = await installCpi('--version', 'v1.32.0', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const ds = doc.objects.find((o: { kind: string }) => o.kind === 'DaemonSet');
    expect(ds.action).toBe('configured');
    expect(imageOf('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toMatch(/:v1\.32\.0$/);
    const live = kube.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')!;
    expect((live.status as { observedGeneration: number }).observedGeneration).toBe(live.metadata.generation);
    expect(live.metadata.labels?.['vk.io/version']).toBe('v1.32.0');
  });

  it('air-gapped: --manifest FILE with --image-registry rewrites every image; nothing is downloaded', async () => {
    await cluster();
    const r = await installCpi(
      '--manifest',
      join(FIXTURE_DIR, 'cpi-v1.31.0.yaml'),
      '--image-registry',
      'harbor.example.com/mirror',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(manifests.requests).toEqual([]);
    expect(imageOf('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBe(
      'harbor.example.com/mirror/cloud-pv-vsphere/cloud-provider-vsphere:v1.31.0',
    );
  });

  it('fails with the pod reason when the image cannot be pulled', async () => {
    await cluster();
    kube.controllers.workloads.fail('vsphere-cloud-controller-manager', 'ErrImagePull');
    const r = await installCpi('--timeout', '2s');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*vsphere-cloud-controller-manager.*ErrImagePull/m);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error:')),
    ).toHaveLength(1);
  });

  it('names the nodes the CCM never initialized, with the likely cause from its log', async () => {
    await cluster(3, 1, ['u-1', 'u-2']); // k8s-node-0003's VM is not found by the CCM
    const r = await installCpi('--timeout', '2s');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: 1 of 3 nodes not initialized by the CPI: k8s-node-0003: /);
    expect(r.stderr).toMatch(/disk\.enableUUID/);
    expect(r.stderr).toContain('DC1');
    expect(nodeSpec('k8s-node-0003').providerID).toBeUndefined();
  });

  it('blames the credentials when the CCM log says it cannot log in', async () => {
    await cluster(2, 1, []); // the CCM initializes nothing
    kube.controllers.workloads.onReady.push((w) => {
      if (w.metadata.name !== 'vsphere-cloud-controller-manager') return;
      for (const pod of kube.store.list('Pod', 'kube-system')) {
        kube.setPodLog(
          'kube-system',
          pod.metadata.name,
          'I1123 10:00:00 starting\nE1123 10:00:01 Cannot complete login due to an incorrect user name or password\n',
        );
      }
    });
    const r = await installCpi('--timeout', '2s');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: 2 of 2 nodes not initialized by the CPI: k8s-node-0001: the CPI cannot log in to vCenter: wrong credentials in its Secret \(CCM log: "E1123 .*incorrect user name or password"\)/,
    );
  });

  it('--dry-run=client prints the objects with the password redacted and changes nothing', async () => {
    await cluster();
    const rv = kube.store.resourceVersion;
    const r = await installCpi('--dry-run=client');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kind: DaemonSet');
    expect(r.stdout).toContain('<redacted>');
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(kube.store.resourceVersion).toBe(rv);
  });

  it('--dry-run=server validates with the API server and stores nothing', async () => {
    await cluster();
    const rv = kube.store.resourceVersion;
    const r = await installCpi('--dry-run=server', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).objects.every((o: { action: string }) => o.action === 'created')).toBe(true);
    expect(kube.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBeUndefined();
    expect(kube.store.resourceVersion).toBe(rv);
  });

  it('rejects a bad --timeout and --image-registry before any request', async () => {
    await cluster();
    const t = await installCpi('--timeout', 'soon');
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/^error: invalid --timeout "soon"/);
    const reg = await installCpi('--image-registry', 'https://bad/');
    expect(reg.code).toBe(2);
  });
});

describe('vk install csi', () => {
  it('refuses when nodes have no providerID, unless --skip-preflight', async () => {
    await cluster();
    const r = await installCsi();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: 3 of 3 nodes have no providerID .*vk install cpi.*--skip-preflight/);
    expect(kube.store.get('Namespace', 'vmware-system-csi')).toBeUndefined();
  });

  it('after the CPI: installs, scales the controller to the control-plane count and registers on every node', async () => {
    await cluster(4, 2);
    expect((await installCpi()).code).toBe(0);
    const r = await installCsi('-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(PASSWORD);
    const doc = JSON.parse(r.stdout);
    expect(doc.objects[0]).toMatchObject({ kind: 'Namespace', name: 'vmware-system-csi' });
    expect(doc.objects[1]).toMatchObject({ kind: 'Secret', name: 'vsphere-config-secret' });
    expect(doc.verification.csiDriver).toBe(true);
    expect(doc.verification.nodes).toHaveLength(4);
    const deploy = kube.store.get('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')!;
    expect((deploy.spec as { replicas: number }).replicas).toBe(2);
    expect(kube.store.get('CSIDriver', 'csi.vsphere.vmware.com')).toBeDefined();
    for (const n of kube.store.list('Node')) {
      const csinode = kube.store.get('CSINode', n.metadata.name) as KubeObject;
      expect((csinode.spec as { drivers: { name: string }[] }).drivers.map((d) => d.name)).toContain(
        'csi.vsphere.vmware.com',
      );
    }
    const conf = secretValue(
      kube.store.get('Secret', 'vsphere-config-secret', 'vmware-system-csi')!,
      'csi-vsphere.conf',
    );
    expect(conf).toContain('test-cluster');
    expect(conf).toContain(PASSWORD);

    const before = versionsOf(doc.objects);
    const again = await installCsi();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/created|configured/);
    expect(versionsOf(doc.objects)).toEqual(before);
  });
  it('a newer --version upgrades the driver in place and waits for the rollout', async () => {
    await cluster();
    expect((await installCpi()).code).toBe(0);
    const old = await installCsi('--version', 'v3.3.1');
    expect(old.code, old.stderr).toBe(0);
    expect(old.stderr).toMatch(/warning: .*v3\.3\.1 is not known to support Kubernetes 1\.31/i);
    const r = await installCsi('--version', 'v3.7.0', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.objects.find((o: { kind: string }) => o.kind === 'Deployment').action).toBe('configured');
    expect(doc.rollouts.map((w: { name: string }) => w.name)).toEqual(['vsphere-csi-controller', 'vsphere-csi-node']);
    expect(imageOf('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')).toMatch(/:v3\.7\.0$/);
  });
});

describe('vk uninstall', () => {
  it('removes what vk installed, keeps PVs and PVCs, and needs --yes without a terminal', async () => {
    await cluster();
    expect((await installCpi()).code).toBe(0);
    expect((await installCsi()).code).toBe(0);
    kube.store.put({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pv-1', labels: { 'app.kubernetes.io/managed-by': 'vk', 'vk.io/component': 'csi' } },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        csi: { driver: 'csi.vsphere.vmware.com', volumeHandle: 'x' },
      },
    });

    const refused = await vk(['uninstall', 'csi']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error: refusing to uninstall the CSI without confirmation; pass --yes/);
    expect(kube.store.get('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')).toBeDefined();

    const dry = await vk(['uninstall', 'csi', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/Deployment\s+vmware-system-csi\s+vsphere-csi-controller\s+would delete/);

    const r = await vk(['uninstall', 'csi', '--yes', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const kinds = JSON.parse(r.stdout).objects.map((o: { kind: string }) => o.kind);
    expect(kinds[0]).toBe('Deployment');
    expect(kinds.at(-1)).toBe('Namespace');
    expect(kube.store.get('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')).toBeUndefined();
    expect(kube.store.get('CSIDriver', 'csi.vsphere.vmware.com')).toBeUndefined();
    expect(kube.store.get('Secret', 'vsphere-config-secret', 'vmware-system-csi')).toBeUndefined();
    expect(kube.store.get('PersistentVolume', 'pv-1')).toBeDefined();
    // The CPI is a different component: untouched.
    expect(kube.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBeDefined();

    const cpi = await vk(['uninstall', 'cpi', '--yes']);
    expect(cpi.code).toBe(0);
    expect(kube.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBeUndefined();
    expect(kube.store.get('Secret', 'vsphere-cloud-secret', 'kube-system')).toBeUndefined();
    expect(kube.store.get('Namespace', 'kube-system')).toBeDefined();
    // Eight runs of the CLI: on two shared cores under load this needs more than the default minute.
  }, 120_000);
});
