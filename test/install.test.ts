// `vk install cpi|csi` and `vk uninstall cpi|csi` end to end in the box: the
// built CLI against a real Kubernetes control plane where the real CPI
// initializes the nodes and the CSI driver's pods run (the real sidecars
// behind the CSI stand-in, see test/README.md), with the fixture manifests
// served locally. Cluster state is read back through the API server, never
// through vk. The tests run in order on one box: dry runs first, then the
// CPI, then the CSI driver, then uninstall.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBox, UNINITIALIZED_TAINT, type Box, type KubeObject } from './box/cluster.js';
import { FIXTURE_DIR, startManifestServer, type ManifestServer } from './fixtures/manifests/server.js';
import { runVk, type VkResult } from './support/run-vk.js';

let box: Box;
let manifests: ManifestServer;

beforeAll(async () => {
  // Two control-plane nodes: the CSI controller is scaled to their count.
  box = await startBox({
    drivers: true,
    controlPlaneNodes: 2,
    vcsim: { cluster: 1, host: 3, ds: 1, folder: '/DC0/vm/k8s', folderVms: 3 },
  });
  // The fixtures for Kubernetes 1.36 (CPI v1.36.0, CSI v3.8.0) name the
  // releases the box builds; the runtime runs no other tag.
  manifests = await startManifestServer({ aliases: {} });
}, 600_000);
afterAll(async () => {
  await manifests?.close();
  await box?.stop();
});

// Rollouts of the real drivers on a loaded 2-core machine take a while.
const T = 300_000;
function vk(args: string[]): Promise<VkResult> {
  // uninstall speaks to the cluster only: it takes no vCenter flags.
  const vc = args[0] === 'uninstall' ? [] : ['--insecure', '--datacenter', 'DC0'];
  return runVk(
    [...args, ...vc],
    { ...box.env, NO_COLOR: '1', VK_MANIFEST_BASE_URL: manifests.baseUrl },
    { timeoutMs: T - 10_000 },
  );
}
const timeout = (args: string[]) => (args.includes('--timeout') ? [] : ['--timeout', '240s']);
const installCpi = (...args: string[]) => vk(['install', 'cpi', ...timeout(args), ...args]);
const installCsi = (...args: string[]) => vk(['install', 'csi', '--cluster-id', 'box', ...timeout(args), ...args]);
const password = () => box.vcsim!.password;

/** resourceVersions of the objects an install applies: what a no-op re-run must not change. */
const versionsOf = async (objects: { kind: string; name: string; namespace?: string }[]) =>
  Promise.all(
    objects.map(async (o) => {
      const live = await box.store.get(o.kind, o.name, o.namespace);
      return `${o.kind}/${o.name}@${live?.metadata.resourceVersion}`;
    }),
  );
/** Everything in the namespaces and kinds an install writes to, by resourceVersion. */
async function snapshot(): Promise<string[]> {
  const out: string[] = [];
  for (const kind of ['Secret', 'ConfigMap', 'ServiceAccount', 'DaemonSet', 'Deployment', 'Service'])
    for (const o of await box.store.list(kind)) out.push(`${kind}/${o.metadata.namespace}/${o.metadata.name}`);
  for (const kind of ['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CSIDriver'])
    for (const o of await box.store.list(kind)) out.push(`${kind}/${o.metadata.name}@${o.metadata.resourceVersion}`);
  return out.sort();
}
const secretValue = (secret: KubeObject | undefined, key: string): string | undefined => {
  const v = (secret?.data as Record<string, string> | undefined)?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString();
};
type NodeSpec = { providerID?: string; taints?: { key: string }[] };
type Workload = KubeObject & {
  spec: { template: { spec: { containers: { name: string; image: string; args?: string[] }[] } } };
  status?: { observedGeneration?: number };
};
const workload = async (kind: string, name: string, ns: string) => (await box.store.get(kind, name, ns)) as Workload;
/** The image of the workload's own container (named like the workload). */
const imageOf = async (kind: string, name: string, ns: string) =>
  (await workload(kind, name, ns)).spec.template.spec.containers.find((c) => c.name === name)!.image;
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('error:'));

describe('before the CPI', () => {
  it('rejects a bad --timeout and --image-registry before any request', async () => {
    const t = await installCpi('--timeout', 'soon');
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/^error: invalid --timeout "soon"/);
    const reg = await installCpi('--image-registry', 'https://bad/');
    expect(reg.code).toBe(2);
    expect(errorLines(reg.stderr)).toHaveLength(1);
  }, 60_000);

  it('--dry-run=client prints the objects with the password redacted and changes nothing', async () => {
    const before = await snapshot();
    const r = await installCpi('--dry-run=client');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kind: DaemonSet');
    expect(r.stdout).toContain('<redacted>');
    expect(r.stdout + r.stderr).not.toContain(password());
    expect(await snapshot()).toEqual(before);
  }, 60_000);

  it('--dry-run=server validates with the API server and stores nothing', async () => {
    const before = await snapshot();
    const r = await installCpi('--dry-run=server', '-o', 'json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).objects.every((o: { action: string }) => o.action === 'created')).toBe(true);
    expect(await box.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBeUndefined();
    expect(await snapshot()).toEqual(before);
  }, 60_000);

  it('vk install csi refuses while nodes have no providerID, unless --skip-preflight', async () => {
    const r = await installCsi();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: 3 of 3 nodes have no providerID .*vk install cpi.*--skip-preflight/);
    expect(await box.store.get('Namespace', 'vmware-system-csi')).toBeUndefined();
  }, 60_000);
});

describe('vk install cpi', () => {
  it(
    'fails with the pod reason when the image cannot be pulled',
    async () => {
      // The box builds CPI v1.36.0 only; its runtime answers any other tag
      // as kubelet answers an image it cannot pull.
      const r = await installCpi('--version', 'v1.32.0', '--timeout', '15s');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^error: .*vsphere-cloud-controller-manager.*ErrImagePull/m);
      expect(errorLines(r.stderr)).toHaveLength(1);
    },
    T,
  );

  it(
    '--version replaces the release in place and waits for its rollout: the real CPI initializes every node; a re-run writes nothing',
    async () => {
      const r = await installCpi('--version', 'v1.36.0', '-o', 'json');
      expect(r.stderr).not.toContain(password());
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.version).toBe('v1.36.0');
      expect(doc.objects.find((o: { kind: string }) => o.kind === 'DaemonSet').action).toBe('configured');
      expect(doc.rollouts[0]).toMatchObject({ kind: 'DaemonSet', name: 'vsphere-cloud-controller-manager' });
      expect(doc.verification.nodes.every((n: { initialized: boolean }) => n.initialized)).toBe(true);

      const ds = await workload('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system');
      expect(await imageOf('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toMatch(/:v1\.36\.0$/);
      expect(ds.status?.observedGeneration).toBe(ds.metadata.generation);
      expect(ds.metadata.labels?.['vk.io/version']).toBe('v1.36.0');
      expect((ds.metadata.managedFields as { manager: string }[]).map((m) => m.manager)).toContain('vk');
      const vms = await box.vcsim!.inspect('vms');
      for (const n of await box.store.list('Node')) {
        const spec = n.spec as NodeSpec;
        expect(spec.providerID).toBe(`vsphere://${vms.find((v) => v.name.toLowerCase() === n.metadata.name)!.uuid}`);
        expect((spec.taints ?? []).map((t) => t.key)).not.toContain(UNINITIALIZED_TAINT);
      }
      // vk's own config replaced the manifest's placeholder, with the real password, labelled as vk's.
      const secret = await box.store.get('Secret', 'vsphere-cloud-secret', 'kube-system');
      const key = Object.keys(secret!.data as object).find((k) => k.endsWith('.password'))!;
      expect(secretValue(secret, key)).toBe(password());
      expect(secret!.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'vk', 'vk.io/component': 'cpi' });
      const cm = await box.store.get('ConfigMap', 'vsphere-cloud-config', 'kube-system');
      const conf = (cm!.data as Record<string, string>)['vsphere.conf']!;
      expect(conf).toContain('DC0');
      expect(conf).not.toContain('placeholder');

      const before = await versionsOf(doc.objects);
      const again = await installCpi();
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^KIND\s+NAMESPACE\s+NAME\s+RESULT\n/);
      expect(again.stdout).not.toMatch(/created|configured/);
      expect(again.stderr).toContain('every node has a providerID');
      expect(again.stderr).toMatch(/(\d+) objects: \1 unchanged/);
      expect(await versionsOf(doc.objects)).toEqual(before);
    },
    T,
  );

  it(
    'air-gapped: --manifest FILE with --image-registry rewrites every image; nothing is downloaded; the mirrored release rolls out',
    async () => {
      const served = manifests.requests.length;
      const r = await installCpi(
        '--manifest',
        join(FIXTURE_DIR, 'cpi-v1.36.0.yaml'),
        '--image-registry',
        'harbor.example.com/mirror',
      );
      expect(r.code, r.stderr).toBe(0);
      expect(manifests.requests.length).toBe(served);
      expect(await imageOf('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBe(
        'harbor.example.com/mirror/cloud-pv-vsphere/cloud-provider-vsphere:v1.36.0',
      );
    },
    T,
  );
  it(
    'an upgrade prunes what the earlier release carried and this one does not: dry runs name it, the install removes it once verified',
    async () => {
      // The earlier release: the same manifest plus a Service this one no longer ships.
      const earlier = join(mkdtempSync(join(tmpdir(), 'vk-prune-')), 'cpi-earlier.yaml');
      const extra = {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'vsphere-cloud-controller-manager-metrics', namespace: 'kube-system' },
        spec: { selector: { 'k8s-app': 'vsphere-cloud-controller-manager' }, ports: [{ port: 43001 }] },
      };
      writeFileSync(
        earlier,
        `${readFileSync(join(FIXTURE_DIR, 'cpi-v1.36.0.yaml'), 'utf8')}\n---\n${JSON.stringify(extra)}\n`,
      );
      const old = await installCpi('--manifest', earlier);
      expect(old.code, old.stderr).toBe(0);
      const svc = () => box.store.get('Service', extra.metadata.name, 'kube-system');
      expect((await svc())?.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'vk',
        'vk.io/component': 'cpi',
      });

      const listed = 'Service kube-system/vsphere-cloud-controller-manager-metrics';
      const client = await installCpi('--dry-run=client');
      expect(client.code, client.stderr).toBe(0);
      expect(client.stderr).toContain(`1 would prune (not in this release): ${listed}`);
      const server = await installCpi('--dry-run=server', '-o', 'json');
      expect(server.code, server.stderr).toBe(0);
      expect(JSON.parse(server.stdout).pruned).toEqual([
        {
          apiVersion: 'v1',
          kind: 'Service',
          namespace: 'kube-system',
          name: extra.metadata.name,
          action: 'would prune',
        },
      ]);
      expect(await svc()).toBeDefined();

      const r = await installCpi();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^Service\s+kube-system\s+vsphere-cloud-controller-manager-metrics\s+pruned$/m);
      expect(r.stderr).toContain(`CPI v1.36.0: 1 pruned (not in this release): ${listed}`);
      expect(await svc()).toBeUndefined();
      // What the release carries stays.
      expect(await box.store.get('ServiceAccount', 'cloud-controller-manager', 'kube-system')).toBeDefined();
      const again = await installCpi();
      expect(again.stderr).not.toMatch(/prune/);
    },
    T,
  );
});

describe('vk install csi', () => {
  it(
    'after the CPI: installs, scales the controller to the control-plane count and registers on every node; a re-run writes nothing',
    async () => {
      const r = await installCsi('-o', 'json');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain(password());
      const doc = JSON.parse(r.stdout);
      expect(doc.version).toBe('v3.8.0');
      expect(doc.objects[0]).toMatchObject({ kind: 'Namespace', name: 'vmware-system-csi' });
      expect(doc.objects[1]).toMatchObject({ kind: 'Secret', name: 'vsphere-config-secret' });
      expect(doc.rollouts.map((w: { name: string }) => w.name)).toEqual(['vsphere-csi-controller', 'vsphere-csi-node']);
      expect(doc.verification.csiDriver).toBe(true);
      expect(doc.verification.nodes).toHaveLength(3);
      const deploy = await workload('Deployment', 'vsphere-csi-controller', 'vmware-system-csi');
      expect((deploy.spec as unknown as { replicas: number }).replicas).toBe(2);
      expect(await box.store.get('CSIDriver', 'csi.vsphere.vmware.com')).toBeDefined();
      for (const n of await box.store.list('Node')) {
        const csinode = await box.store.get('CSINode', n.metadata.name);
        expect((csinode!.spec as { drivers: { name: string }[] }).drivers.map((d) => d.name)).toContain(
          'csi.vsphere.vmware.com',
        );
      }
      const conf = secretValue(
        await box.store.get('Secret', 'vsphere-config-secret', 'vmware-system-csi'),
        'csi-vsphere.conf',
      )!;
      expect(conf).toContain('cluster-id = "box"');
      expect(conf).toContain(password());
      // Without --topology-category the provisioner's Topology gate stays off.
      const provisioner = deploy.spec.template.spec.containers.find((c) => c.name === 'csi-provisioner')!;
      expect((provisioner.args ?? []).filter((a) => /Topology=true|strict-topology/.test(a))).toEqual([]);
      expect(conf).not.toContain('topology-categories');

      const before = await versionsOf(doc.objects);
      const again = await installCsi();
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).not.toMatch(/created|configured/);
      expect(await versionsOf(doc.objects)).toEqual(before);
    },
    T,
  );
  it(
    '--topology-category turns topology on for the running provisioner and says so; a category vCenter lacks is refused first',
    async () => {
      const argsBefore = (await workload('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')).spec.template
        .spec.containers;
      const missing = await installCsi('--topology-category', 'k8s-region,k8s-zone');
      expect(missing.code).toBe(1);
      expect(errorLines(missing.stderr)).toEqual([
        'error: --topology-category k8s-region, k8s-zone: no such tag categories in vCenter; vk topology --create makes the categories and tags',
      ]);
      expect(
        (await workload('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')).spec.template.spec.containers,
      ).toEqual(argsBefore);
      // The categories and tags the CSI node plugin reads: one region, one zone for the cluster.
      const tagged = await vk([
        'topology',
        '--create',
        '--region-tag',
        'datacenter:DC0=r1',
        '--zone-tag',
        'cluster:DC0_C0=z1',
      ]);
      expect(tagged.code, tagged.stderr).toBe(0);
      const r = await installCsi('--topology-category', 'k8s-region', '--topology-category', 'k8s-zone', '-o', 'json');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('topology on (categories k8s-region, k8s-zone)');
      const deploy = await workload('Deployment', 'vsphere-csi-controller', 'vmware-system-csi');
      const args = deploy.spec.template.spec.containers.find((c) => c.name === 'csi-provisioner')!.args ?? [];
      expect(args).toContain('--feature-gates=Topology=true');
      expect(args).toContain('--strict-topology');
      const conf = secretValue(
        await box.store.get('Secret', 'vsphere-config-secret', 'vmware-system-csi'),
        'csi-vsphere.conf',
      )!;
      expect(conf).toMatch(/topology-categories = "k8s-region,k8s-zone"/);
      // The rollout vk waited for: the controller's pod runs the new arguments.
      const pods = (
        await box.getJson(
          `/api/v1/namespaces/vmware-system-csi/pods?labelSelector=${encodeURIComponent('app=vsphere-csi-controller')}`,
        )
      ).items as {
        metadata: { name: string; deletionTimestamp?: string };
        spec: { containers: { name: string; args?: string[] }[] };
      }[];
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      expect(live.length).toBeGreaterThan(0);
      for (const p of live)
        expect(p.spec.containers.find((c) => c.name === 'csi-provisioner')!.args).toContain('--strict-topology');
    },
    T,
  );
});

describe('vk uninstall', () => {
  it(
    'removes what vk installed, keeps PVs and PVCs, and needs --yes without a terminal',
    async () => {
      await box.store.put({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'pv-1', labels: { 'app.kubernetes.io/managed-by': 'vk', 'vk.io/component': 'csi' } },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          csi: { driver: 'csi.vsphere.vmware.com', volumeHandle: 'x' },
        },
      });

      const refused = await vk(['uninstall', 'csi']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/^error: refusing to uninstall the CSI without confirmation; pass --yes/);
      expect(await box.store.get('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')).toBeDefined();

      const dry = await vk(['uninstall', 'csi', '--dry-run']);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/Deployment\s+vmware-system-csi\s+vsphere-csi-controller\s+would delete/);

      const r = await vk(['uninstall', 'csi', '--yes', '-o', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const kinds = JSON.parse(r.stdout).objects.map((o: { kind: string }) => o.kind);
      expect(kinds[0]).toBe('Deployment');
      expect(kinds.at(-1)).toBe('Namespace');
      expect(await box.store.get('Deployment', 'vsphere-csi-controller', 'vmware-system-csi')).toBeUndefined();
      expect(await box.store.get('CSIDriver', 'csi.vsphere.vmware.com')).toBeUndefined();
      expect(await box.store.get('PersistentVolume', 'pv-1')).toBeDefined();
      // The CPI is a different component: untouched.
      expect(await box.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBeDefined();

      const cpi = await vk(['uninstall', 'cpi', '--yes']);
      expect(cpi.code, cpi.stderr).toBe(0);
      expect(await box.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')).toBeUndefined();
      expect(await box.store.get('Secret', 'vsphere-cloud-secret', 'kube-system')).toBeUndefined();
      expect(await box.store.get('Namespace', 'kube-system')).toBeDefined();
    },
    T,
  );
});
