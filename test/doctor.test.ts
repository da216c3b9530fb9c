// vk doctor end to end: the built CLI against vcsim and the in-memory kube API
// server. A healthy setup passes every check; each problem injected alone
// makes exactly its check fail, with the fix, and exit 1.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVk } from './support/run-vk.js';
import { startVcsim, type Vcsim } from './support/vcsim.js';
import { startKubeServer, type KubeObject, type KubeServer } from './support/kube-server/index.js';

interface Check {
  id: string;
  title: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

const TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';
let sim: Vcsim;
let kube: KubeServer;
let vmUuid: Map<string, string>;
let localDsUrl: string;
let partialDsUrl: string;

// vk pins the simulator's certificate, as the drivers' configs do.
const doctor = (...args: string[]) =>
  runVk(['doctor', '--kubeconfig', kube.kubeconfigPath, '--thumbprint', sim.thumbprint, ...args], {
    ...sim.env,
    NO_COLOR: '1',
  });

async function checks(...args: string[]): Promise<{ code: number | null; byId: Map<string, Check>; stderr: string }> {
  const r = await doctor('-o', 'json', ...args);
  const list = JSON.parse(r.stdout) as Check[];
  return { code: r.code, byId: new Map(list.map((c) => [c.id, c])), stderr: r.stderr };
}

function failing(byId: Map<string, Check>): string[] {
  return [...byId.values()].filter((c) => c.status !== 'pass').map((c) => `${c.id}:${c.status}`);
}

const CHECKS = 14;
const port = () => Number(sim.host.split(':')[1]);

interface DriverConf {
  server?: string;
  datacenters?: string;
  thumbprint?: string;
  insecure?: boolean;
  user?: string;
  clusterId?: string;
}

/** CPI vsphere.conf (YAML) as vk generate cpi writes it. */
function cpiConf(o: DriverConf = {}): string {
  const server = o.server ?? '127.0.0.1';
  const thumb = o.thumbprint ?? sim.thumbprint;
  return [
    'global:',
    `  port: ${port()}`,
    `  insecureFlag: ${o.insecure ?? false}`,
    '  secretName: vsphere-cloud-secret',
    '  secretNamespace: kube-system',
    ...(thumb ? [`  thumbprint: ${thumb}`] : []),
    'vcenter:',
    `  ${server}:`,
    `    server: ${server}`,
    `    datacenters: [${o.datacenters ?? 'DC0'}]`,
    ...(thumb ? [`    thumbprint: ${thumb}`] : []),
    '',
  ].join('\n');
}

/** CSI csi-vsphere.conf (gcfg INI) as vk generate csi writes it. */
function csiConf(o: DriverConf = {}): string {
  const thumb = o.thumbprint ?? sim.thumbprint;
  return [
    '[Global]',
    `cluster-id = "${o.clusterId ?? 'doctor-e2e-7f3a'}"`,
    ...(thumb ? [`thumbprint = "${thumb}"`] : []),
    '',
    `[VirtualCenter "${o.server ?? '127.0.0.1'}"]`,
    `insecure-flag = "${o.insecure ?? false}"`,
    `user = "${o.user ?? 'k8s-csi@vsphere.local'}"`,
    'password = "s3cret;#"',
    `port = "${port()}"`,
    `datacenters = "${o.datacenters ?? 'DC0'}"`,
    '',
  ].join('\n');
}

function putCpiConf(text: string): void {
  kube.store.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'vsphere-cloud-config', namespace: 'kube-system' },
    data: { 'vsphere.conf': text },
  } as KubeObject);
}

function putCsiConf(text: string): void {
  kube.store.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'vsphere-config-secret', namespace: 'vmware-system-csi' },
    type: 'Opaque',
    data: { 'csi-vsphere.conf': Buffer.from(text).toString('base64') },
  } as KubeObject);
}

/** Runs doctor with one driver config replaced, then restores the healthy one. */
async function withConf(driver: 'cpi' | 'csi', o: DriverConf) {
  if (driver === 'cpi') putCpiConf(cpiConf(o));
  else putCsiConf(csiConf(o));
  try {
    return await checks();
  } finally {
    putCpiConf(cpiConf());
    putCsiConf(csiConf());
  }
}

const ready = (o: KubeObject, status: Record<string, unknown>): KubeObject => ({ ...o, status });

function healthyCluster(): void {
  const k = kube.store;
  k.put(
    ready(
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'vsphere-cloud-controller-manager', namespace: 'kube-system' },
        spec: {
          selector: { matchLabels: { app: 'ccm' } },
          template: {
            metadata: { labels: { app: 'ccm' } },
            spec: {
              containers: [{ name: 'ccm', image: 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.31.1' }],
            },
          },
        },
      },
      { desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, numberAvailable: 1 },
    ),
  );
  k.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vmware-system-csi' } });
  k.put(
    ready(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'vsphere-csi-controller', namespace: 'vmware-system-csi' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'csi' } },
          template: {
            metadata: { labels: { app: 'csi' } },
            spec: { containers: [{ name: 'c', image: 'registry.k8s.io/csi-vsphere/driver:v3.5.1' }] },
          },
        },
      },
      { replicas: 1, readyReplicas: 1, availableReplicas: 1 },
    ),
  );
  k.put(
    ready(
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'vsphere-csi-node', namespace: 'vmware-system-csi' },
        spec: {
          selector: { matchLabels: { app: 'csi-node' } },
          template: {
            metadata: { labels: { app: 'csi-node' } },
            spec: { containers: [{ name: 'n', image: 'registry.k8s.io/csi-vsphere/driver:v3.5.1' }] },
          },
        },
      },
      { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, numberAvailable: 3 },
    ),
  );
  k.put({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'CSIDriver',
    metadata: { name: 'csi.vsphere.vmware.com' },
    spec: { attachRequired: true, podInfoOnMount: false },
  });
  for (const node of k.list('Node')) {
    const name = node.metadata.name;
    k.put({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name },
      spec: { drivers: [{ name: 'csi.vsphere.vmware.com', nodeID: name, topologyKeys: null }] },
    });
    const uuid = vmUuid.get(name)!;
    k.put({ ...node, spec: { ...(node.spec as object), providerID: `vsphere://${uuid.toUpperCase()}` } });
  }
  k.put({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'vsphere-csi', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'csi.vsphere.vmware.com',
    parameters: { datastoreurl: localDsUrl },
  } as KubeObject);
  putCpiConf(cpiConf());
  putCsiConf(csiConf());
}

beforeAll(async () => {
  // k8s-node-0001..0003 have disk.enableUUID=TRUE; 0004 does not.
  // k8s-node-0001..0003 run on DC0_C0_H0..H2; PartialNFS_0 is mounted on DC0_C0_H0 only.
  sim = await startVcsim({ folder: '/DC0/vm/k8s', folderVms: 4, presetUuid: 3, dsPartial: 1 });
  const [vms, datastores] = await Promise.all([sim.inspect('vms'), sim.inspect('datastores')]);
  localDsUrl = datastores.find((d) => d.name === 'LocalDS_0')!.url;
  partialDsUrl = datastores.find((d) => d.name === 'PartialNFS_0')!.url;
  vmUuid = new Map(vms.map((v) => [v.name, v.uuid]));
  const names = ['k8s-node-0001', 'k8s-node-0002', 'k8s-node-0003'];
  kube = await startKubeServer({
    nodes: 3,
    nodeOptions: { uuids: names.map((n) => vmUuid.get(n)!) },
    controllers: { ccm: { enabled: false } },
  });
  kube.controllers.setAll(false);
  healthyCluster();
}, 60_000);

afterAll(async () => {
  await kube?.stop();
  await sim?.stop();
});

describe('vk doctor', () => {
  it('passes every check on a healthy setup and exits 0', async () => {
    const r = await doctor();
    expect(r.stderr).toMatch(new RegExp(`^${CHECKS} checks: ${CHECKS} pass$`, 'm'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CHECK\s+STATUS\s+DETAIL/im);
    expect(r.stdout).not.toMatch(/\bFIX\b/i);
    const { byId } = await checks();
    expect(failing(byId)).toEqual([]);
    expect(byId.get('nodes-vms')!.detail).toBe('3 nodes matched');
    expect(byId.get('cpi')!.detail).toContain('v1.31.1');
    expect([...byId.keys()]).toEqual([
      'vcenter',
      'kubernetes',
      'datacenters',
      'nodes-vms',
      'disk-uuid',
      'nodes-initialized',
      'cpi',
      'csi',
      'storageclass',
      'storageclass-datastore',
      'in-tree',
      'csi-user',
      'cluster-id',
      'tls-trust',
    ]);
    expect(byId.get('datacenters')!.detail).toBe('vk: not set, vCenter has /DC0; CPI: DC0; CSI: DC0');
    expect(byId.get('storageclass-datastore')!.detail).toBe('vsphere-csi: LocalDS_0 on the hosts of all 3 nodes');
    expect(byId.get('csi-user')!.detail).toBe('k8s-csi@vsphere.local');
    expect(byId.get('tls-trust')!.detail).toContain('CPI pins the server');
    expect(r.stdout).not.toContain('s3cret');
  });

  it('fails disk-uuid only, naming the VM, when a node runs on a VM without disk.enableUUID', async () => {
    const [node] = kube.addNodes(1, { start: 4, uuids: [vmUuid.get('k8s-node-0004')!] });
    const name = node!.metadata.name;
    kube.store.put({ ...node!, spec: { ...(node!.spec as object), providerID: `vsphere://${vmUuid.get(name)}` } });
    kube.store.put({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name },
      spec: { drivers: [{ name: 'csi.vsphere.vmware.com', nodeID: name }] },
    });
    try {
      const { code, byId, stderr } = await checks();
      expect(failing(byId)).toEqual(['disk-uuid:fail']);
      expect(byId.get('disk-uuid')!.detail).toContain('k8s-node-0004');
      expect(byId.get('disk-uuid')!.fix).toMatch(/vk prepare-vms FOLDER.*power cycle/);
      expect(code).toBe(1);
      expect(stderr).toMatch(new RegExp(`^${CHECKS} checks: ${CHECKS - 1} pass, 1 fail$`, 'm'));
    } finally {
      kube.store.delete('Node', name);
      kube.store.delete('CSINode', name);
    }
  });

  it('fails nodes-vms only when a node matches no VM by UUID or name', async () => {
    const [node] = kube.addNodes(1, { namePrefix: 'ghost-', start: 1 });
    const name = node!.metadata.name;
    kube.store.put({ ...node!, spec: { ...(node!.spec as object), providerID: 'vsphere://0000-nope' } });
    kube.store.put({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'CSINode',
      metadata: { name },
      spec: { drivers: [{ name: 'csi.vsphere.vmware.com', nodeID: name }] },
    });
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['nodes-vms:fail']);
      expect(byId.get('nodes-vms')!.detail).toContain('ghost-0001');
      expect(byId.get('nodes-vms')!.fix).toMatch(/name/);
      expect(code).toBe(1);
    } finally {
      kube.store.delete('Node', name);
      kube.store.delete('CSINode', name);
    }
  });

  it('fails nodes-initialized only when a node still has the uninitialized taint', async () => {
    const node = kube.store.get('Node', 'k8s-node-0002')!;
    const spec = node.spec as { taints?: unknown[] };
    kube.store.put({
      ...node,
      spec: { ...spec, taints: [...(spec.taints ?? []), { key: TAINT, value: 'true', effect: 'NoSchedule' }] },
    });
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['nodes-initialized:fail']);
      expect(byId.get('nodes-initialized')!.detail).toContain('k8s-node-0002');
      expect(byId.get('nodes-initialized')!.fix).toContain('vk install cpi');
      expect(code).toBe(1);
    } finally {
      kube.store.put({ ...kube.store.get('Node', 'k8s-node-0002')!, spec });
    }
  });

  it('fails storageclass only when there is no default StorageClass', async () => {
    const sc = kube.store.get('StorageClass', 'vsphere-csi')!;
    kube.store.put({ ...sc, metadata: { ...sc.metadata, annotations: {} } });
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['storageclass:fail']);
      expect(byId.get('storageclass')!.detail).toBe('no default StorageClass');
      expect(byId.get('storageclass')!.fix).toContain('vk storageclass create NAME --datastore DATASTORE --default');
      expect(code).toBe(1);
    } finally {
      kube.store.put({ ...kube.store.get('StorageClass', 'vsphere-csi')!, metadata: sc.metadata });
    }
  });

  it('warns about in-tree vsphere-volume StorageClasses without failing', async () => {
    kube.store.put({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'thin' },
      provisioner: 'kubernetes.io/vsphere-volume',
    } as KubeObject);
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['in-tree:warn']);
      expect(byId.get('in-tree')!.detail).toContain('thin');
      expect(byId.get('in-tree')!.fix).toMatch(/migration/);
      expect(code).toBe(0);
    } finally {
      kube.store.delete('StorageClass', 'thin');
    }
  });

  it('warns when the CPI release is not the one for the cluster, and fails when it is not ready', async () => {
    const ds = kube.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')!;
    const spec = ds.spec as { template: { spec: { containers: Array<{ name: string; image: string }> } } };
    const old = structuredClone(spec);
    old.template.spec.containers[0]!.image = 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.28.0';
    kube.store.put({ ...ds, spec: old });
    try {
      const warn = await checks();
      expect(failing(warn.byId)).toEqual(['cpi:warn']);
      expect(warn.byId.get('cpi')!.fix).toBe('vk install cpi --version v1.31.1');
      expect(warn.code).toBe(0);

      kube.store.put({
        ...kube.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')!,
        status: { desiredNumberScheduled: 1, numberReady: 0 },
      });
      const fail = await checks();
      expect(failing(fail.byId)).toEqual(['cpi:fail']);
      expect(fail.byId.get('cpi')!.detail).toContain('0/1 ready');
      expect(fail.code).toBe(1);
    } finally {
      kube.store.put({
        ...kube.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')!,
        spec,
        status: ds.status,
      });
    }
  });

  it('fails csi only when a node has no CSINode registration', async () => {
    const csiNode = kube.store.get('CSINode', 'k8s-node-0003')!;
    kube.store.delete('CSINode', 'k8s-node-0003');
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['csi:fail']);
      expect(byId.get('csi')!.detail).toContain('k8s-node-0003');
      expect(code).toBe(1);
    } finally {
      kube.store.put(csiNode);
    }
  });

  it('fails datacenters and nodes-vms with the datacenters vCenter has when --datacenter is wrong', async () => {
    const { code, byId } = await checks('--datacenter', 'DC9');
    expect(byId.get('vcenter')!.status).toBe('pass');
    expect(byId.get('datacenters')!.status).toBe('fail');
    expect(byId.get('datacenters')!.detail).toBe('datacenter "DC9" (--datacenter) not found; vCenter has: /DC0');
    expect(byId.get('datacenters')!.fix).toContain('--datacenter');
    expect(byId.get('nodes-vms')!.status).toBe('fail');
    expect(byId.get('nodes-vms')!.detail).toMatch(/datacenter "DC9" not found; vCenter has: \/DC0/);
    expect(byId.get('disk-uuid')!.status).toBe('skip');
    expect(code).toBe(1);
  });

  it('skips the vSphere checks with a one-line reason when vCenter is unreachable; kube checks still run', async () => {
    const r = await runVk(['doctor', '-o', 'json', '--kubeconfig', kube.kubeconfigPath, '--request-timeout', '5'], {
      ...sim.env,
      GOVC_URL: 'http://127.0.0.1:1/sdk',
    });
    expect(r.code).toBe(1);
    const byId = new Map((JSON.parse(r.stdout) as Check[]).map((c) => [c.id, c]));
    expect(byId.get('vcenter')!.status).toBe('fail');
    expect(byId.get('vcenter')!.detail).not.toContain('\n');
    expect(byId.get('vcenter')!.fix).toBeTruthy();
    expect(byId.get('nodes-vms')!.status).toBe('skip');
    expect(byId.get('disk-uuid')!.status).toBe('skip');
    for (const id of ['datacenters', 'storageclass-datastore', 'tls-trust']) {
      expect(byId.get(id)!.status, id).toBe('skip');
    }
    for (const id of [
      'kubernetes',
      'nodes-initialized',
      'cpi',
      'csi',
      'storageclass',
      'in-tree',
      'csi-user',
      'cluster-id',
    ]) {
      expect(byId.get(id)!.status, id).toBe('pass');
    }
    expect(r.stderr).toMatch(/^14 checks: 8 pass, 1 fail, 5 skip$/m);
  });

  it('fails datacenters only when the CPI config names a datacenter vCenter does not have', async () => {
    const { code, byId } = await withConf('cpi', { datacenters: 'DC1' });
    expect(failing(byId)).toEqual(['datacenters:fail']);
    expect(byId.get('datacenters')!.detail).toBe('CPI config names datacenter "DC1", not in vCenter (it has: /DC0)');
    expect(byId.get('datacenters')!.fix).toBe(
      'correct datacenters in ConfigMap kube-system/vsphere-cloud-config (vsphere.conf), or regenerate: vk generate cpi --datacenter DC0 --apply',
    );
    expect(code).toBe(1);
  });

  it("fails storageclass-datastore only, naming the nodes, when a class's datastore is not on every node's host", async () => {
    kube.store.put({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'nfs-partial' },
      provisioner: 'csi.vsphere.vmware.com',
      parameters: { datastoreurl: partialDsUrl },
    } as KubeObject);
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['storageclass-datastore:fail']);
      expect(byId.get('storageclass-datastore')!.detail).toBe(
        'StorageClass nfs-partial: datastore PartialNFS_0 is not mounted on the host of nodes k8s-node-0002, k8s-node-0003',
      );
      expect(byId.get('storageclass-datastore')!.fix).toContain('vk datastores shows which are shared');
      expect(code).toBe(1);
    } finally {
      kube.store.delete('StorageClass', 'nfs-partial');
    }
  });

  it('fails storageclass-datastore only when no datastore has the default class URL', async () => {
    const sc = kube.store.get('StorageClass', 'vsphere-csi')!;
    kube.store.put({ ...sc, parameters: { datastoreurl: 'ds:///vmfs/volumes/nope/' } } as KubeObject);
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['storageclass-datastore:fail']);
      expect(byId.get('storageclass-datastore')!.detail).toBe(
        'StorageClass vsphere-csi: no datastore has datastoreurl ds:///vmfs/volumes/nope/',
      );
      expect(code).toBe(1);
    } finally {
      kube.store.put(sc);
    }
  });

  it('fails csi-user only when the CSI user has no domain, naming the corrected form', async () => {
    const { code, byId } = await withConf('csi', { user: 'k8s-csi' });
    expect(failing(byId)).toEqual(['csi-user:fail']);
    expect(byId.get('csi-user')!.detail).toContain('"k8s-csi"');
    expect(byId.get('csi-user')!.fix).toBe(
      'set user = "k8s-csi@vsphere.local" in Secret vmware-system-csi/vsphere-config-secret (csi-vsphere.conf), or vk generate csi --csi-username k8s-csi@vsphere.local --apply',
    );
    expect(code).toBe(1);
  });

  it('warns on a generic cluster-id, suggesting the id derived from the kube-system UID', async () => {
    const uid = kube.store.get('Namespace', 'kube-system')!.metadata.uid!;
    const expected = 'vk-' + createHash('sha256').update(uid).digest('hex').slice(0, 32);
    const { code, byId } = await withConf('csi', { clusterId: 'kubernetes' });
    expect(failing(byId)).toEqual(['cluster-id:warn']);
    expect(byId.get('cluster-id')!.detail).toContain('"kubernetes" is generic');
    expect(byId.get('cluster-id')!.fix).toContain(`cluster-id = "${expected}"`);
    expect(code).toBe(0);
  });

  it("fails tls-trust only when a driver's thumbprint is not the server certificate's", async () => {
    const wrong = 'AA:'.repeat(31) + 'AA';
    const { code, byId } = await withConf('csi', { thumbprint: wrong });
    expect(failing(byId)).toEqual(['tls-trust:fail']);
    expect(byId.get('tls-trust')!.detail).toBe(
      `CSI thumbprint ${wrong} does not match the server's certificate (SHA-256 ${sim.thumbprint})`,
    );
    expect(byId.get('tls-trust')!.fix).toContain(`set thumbprint to ${sim.thumbprint} in Secret vmware-system-csi`);
    expect(code).toBe(1);
  });

  it('fails tls-trust only when a driver points at another vCenter host', async () => {
    const { code, byId } = await withConf('cpi', { server: 'vc.example.com' });
    expect(failing(byId)).toEqual(['tls-trust:fail']);
    expect(byId.get('tls-trust')!.detail).toBe(`CPI connects to vc.example.com:${port()}, vk to ${sim.host}`);
    expect(byId.get('tls-trust')!.fix).toContain('vk generate cpi --apply regenerates it');
    expect(code).toBe(1);
  });

  it('warns on tls-trust only when a driver skips verification while vk verifies', async () => {
    const { code, byId } = await withConf('cpi', { insecure: true, thumbprint: '' });
    expect(failing(byId)).toEqual(['tls-trust:warn']);
    expect(byId.get('tls-trust')!.detail).toContain('CPI skips certificate verification');
    expect(byId.get('tls-trust')!.fix).toContain(sim.thumbprint);
    expect(code).toBe(0);
  });

  it('passes tls-trust with a note when vk runs --insecure and the drivers pin the certificate', async () => {
    const r = await runVk(['doctor', '-o', 'json', '--kubeconfig', kube.kubeconfigPath, '--insecure'], sim.env);
    const byId = new Map((JSON.parse(r.stdout) as Check[]).map((c) => [c.id, c]));
    expect(failing(byId)).toEqual([]);
    expect(byId.get('tls-trust')!.detail).toContain('vk: no verification (--insecure)');
  });
});
