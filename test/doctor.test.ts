// vk doctor end to end: the built CLI against vcsim and the box's real
// kube-apiserver. The healthy cluster is what the drivers' release manifests
// and kubelet leave behind: the CPI DaemonSet and the CSI controller
// Deployment and node DaemonSet rolled out (kwok runs their pods), the
// CSINode registrations, providerIDs on the nodes. A healthy setup passes
// every check; each problem injected alone makes exactly its check fail,
// with the fix, and exit 1.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject, NodeSpec } from './box/cluster.js';
import { objectPath } from './box/kinds.js';
import { waitFor } from './box/process.js';
import { useBox } from './support/box.js';
import { runVk } from './support/run-vk.js';
import { fileServicesEnabled, setFileServices } from './support/vsan-config.js';

interface Check {
  id: string;
  title: string;
  status: 'pass' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

type Taint = { key: string; value?: string; effect: string };
interface Node extends KubeObject {
  spec: { providerID?: string; taints?: Taint[] };
}
interface Workload extends KubeObject {
  metadata: KubeObject['metadata'] & { generation?: number };
  spec: { replicas?: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
  status?: Record<string, number | undefined>;
}
interface PodSpec {
  containers: { name: string; image: string }[];
  [k: string]: unknown;
}

const TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';
const CSI_NS = 'vmware-system-csi';
const CSI_DRIVER = 'csi.vsphere.vmware.com';
// The CPI release for the box's Kubernetes 1.36 (vk's compatibility table).
const CPI_VERSION = 'v1.36.0';
const CPI_IMAGE = `registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:${CPI_VERSION}`;
const CSI_IMAGE = 'registry.k8s.io/csi-vsphere/driver:v3.8.0';

// k8s-node-0001..0003 have disk.enableUUID=TRUE; 0004 does not.
// k8s-node-0001..0003 run on DC0_C0_H0..H2; PartialNFS_0 is mounted on DC0_C0_H0 only.
const box = useBox({ vcsim: { folder: '/DC0/vm/k8s', folderVms: 4, presetUuid: 3, dsPartial: 1 } });
let localDsUrl: string;
let partialDsUrl: string;
let node4: NodeSpec;

const sim = () => box.vcsim!;
// vk pins the simulator's certificate, as the drivers' configs do.
const doctor = (...args: string[]) =>
  runVk(['doctor', '--kubeconfig', box.kubeconfig, '--thumbprint', sim().thumbprint, ...args], {
    ...sim().env,
    NO_COLOR: '1',
  });

async function checks(...args: string[]): Promise<{ code: number | null; byId: Map<string, Check>; stderr: string }> {
  const r = await doctor('-o', 'json', ...args);
  const list = JSON.parse(r.stdout) as Check[];
  return { code: r.code, byId: new Map(list.map((c) => [c.id, c])), stderr: r.stderr };
}

// Skips are left out: on a healthy cluster zone-tags (no zones configured) and vsan-file-services (no ReadWriteMany claims) skip.
function failing(byId: Map<string, Check>): string[] {
  return [...byId.values()].filter((c) => c.status !== 'pass' && c.status !== 'skip').map((c) => `${c.id}:${c.status}`);
}

const CHECKS = 23;
const port = () => Number(sim().host.split(':')[1]);

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
  const thumb = o.thumbprint ?? sim().thumbprint;
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
  const thumb = o.thumbprint ?? sim().thumbprint;
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

async function putCpiConf(text: string): Promise<void> {
  await box.store.put({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'vsphere-cloud-config', namespace: 'kube-system' },
    data: { 'vsphere.conf': text },
  } as KubeObject);
}

async function putCsiConf(text: string): Promise<void> {
  await box.store.put({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'vsphere-config-secret', namespace: CSI_NS },
    type: 'Opaque',
    data: { 'csi-vsphere.conf': Buffer.from(text).toString('base64') },
  } as KubeObject);
}

/** Runs doctor with one driver config replaced, then restores the healthy one. */
async function withConf(driver: 'cpi' | 'csi', o: DriverConf) {
  if (driver === 'cpi') await putCpiConf(cpiConf(o));
  else await putCsiConf(csiConf(o));
  try {
    return await checks();
  } finally {
    await putCpiConf(cpiConf());
    await putCsiConf(csiConf());
  }
}

async function patch(kind: string, name: string, body: object, namespace?: string): Promise<void> {
  const r = await box.api('PATCH', objectPath(kind, name, namespace), body, 'application/merge-patch+json');
  if (r.status !== 200) throw new Error(`patch ${kind} ${name}: ${r.status} ${JSON.stringify(r.body)}`);
}

// ---------------------------------------------------------------- the drivers' workloads

const CONTROL_PLANE_AFFINITY = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{ matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }] }],
    },
  },
};

/** The CPI DaemonSet of the release manifest (pods on control-plane nodes only). */
function cpiPodSpec(image = CPI_IMAGE): PodSpec {
  return {
    priorityClassName: 'system-node-critical',
    hostNetwork: true,
    tolerations: [
      { key: TAINT, value: 'true', effect: 'NoSchedule' },
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' },
    ],
    affinity: CONTROL_PLANE_AFFINITY,
    containers: [{ name: 'vsphere-cloud-controller-manager', image }],
  };
}
const CPI_LABELS = {
  name: 'vsphere-cloud-controller-manager',
  component: 'cloud-controller-manager',
  tier: 'control-plane',
};

function workloads(): KubeObject[] {
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'vsphere-cloud-controller-manager', namespace: 'kube-system' },
      spec: {
        selector: { matchLabels: { name: 'vsphere-cloud-controller-manager' } },
        updateStrategy: { type: 'RollingUpdate' },
        template: { metadata: { labels: CPI_LABELS }, spec: cpiPodSpec() },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'vsphere-csi-controller', namespace: CSI_NS },
      spec: {
        // vk install csi: one replica per control-plane node, at most 3.
        replicas: 1,
        selector: { matchLabels: { app: 'vsphere-csi-controller' } },
        template: {
          metadata: { labels: { app: 'vsphere-csi-controller', role: 'vsphere-csi' } },
          spec: {
            priorityClassName: 'system-cluster-critical',
            affinity: CONTROL_PLANE_AFFINITY,
            tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
            containers: [{ name: 'vsphere-csi-controller', image: CSI_IMAGE }],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'vsphere-csi-node', namespace: CSI_NS },
      spec: {
        selector: { matchLabels: { app: 'vsphere-csi-node' } },
        template: {
          metadata: { labels: { app: 'vsphere-csi-node', role: 'vsphere-csi' } },
          spec: {
            priorityClassName: 'system-node-critical',
            hostNetwork: true,
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [
              { operator: 'Exists', effect: 'NoSchedule' },
              { operator: 'Exists', effect: 'NoExecute' },
            ],
            containers: [{ name: 'vsphere-csi-node', image: CSI_IMAGE }],
          },
        },
      },
    },
  ];
}

/** A DaemonSet or Deployment whose current spec has rolled out completely, every pod ready. */
function rolledOut(w: Workload): boolean {
  const s = w.status ?? {};
  if ((s.observedGeneration ?? 0) < (w.metadata.generation ?? 1)) return false;
  if (w.kind === 'Deployment') {
    const want = w.spec.replicas ?? 1;
    return s.updatedReplicas === want && s.readyReplicas === want && s.replicas === want;
  }
  const want = s.desiredNumberScheduled ?? 0;
  return want > 0 && s.updatedNumberScheduled === want && s.numberReady === want && s.numberAvailable === want;
}

async function workloadOf(kind: string, name: string, namespace: string): Promise<Workload> {
  return (await box.store.get<Workload>(kind, name, namespace))!;
}

/** Waits until every driver workload has rolled out on the nodes there are now. */
async function settled(): Promise<void> {
  await waitFor(
    'the drivers rolled out',
    async () => {
      const all = await Promise.all(
        workloads().map((w) => workloadOf(w.kind!, w.metadata.name, w.metadata.namespace!)),
      );
      return all.every(rolledOut);
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}

/** What kubelet writes when the CSI node plugin registers on a node. */
const csiNode = (name: string, uuid: string): KubeObject => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'CSINode',
  metadata: { name },
  spec: { drivers: [{ name: CSI_DRIVER, nodeID: uuid, topologyKeys: null }] },
});

/** What the CPI does to a node it initializes: the providerID set, its taint removed. */
async function initializeNode(name: string, providerID: string): Promise<void> {
  const node = (await box.store.get<Node>('Node', name))!;
  const taints = (node.spec.taints ?? []).filter((t) => t.key !== TAINT);
  await patch('Node', name, { spec: { providerID, taints } });
}

/** Registers a node (as kubelet), initializes it (as the CPI) and registers the CSI driver on it. */
async function joinNode(spec: NodeSpec, providerID: string): Promise<void> {
  await box.addNodes([spec]);
  await initializeNode(spec.name, providerID);
  await box.store.put(csiNode(spec.name, spec.systemUUID ?? spec.name));
  await settled();
}

async function removeNode(name: string): Promise<void> {
  await box.store.delete('Node', name);
  await box.store.delete('CSINode', name);
  await waitFor('node deleted', async () => !(await box.store.get('Node', name)), { timeoutMs: 30_000 });
  await settled();
}

async function healthyCluster(): Promise<void> {
  // The box registered a node for every VM of the folder; the cluster has the first three.
  node4 = box.vmNodeSpecs.find((n) => n.name === 'k8s-node-0004')!;
  await box.store.delete('Node', node4.name);
  await box.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: CSI_NS } });
  await box.store.put({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'CSIDriver',
    metadata: { name: CSI_DRIVER },
    spec: { attachRequired: true, podInfoOnMount: false },
  });
  for (const n of box.vmNodeSpecs.filter((s) => s.name !== node4.name)) {
    await initializeNode(n.name, `vsphere://${n.systemUUID!.toUpperCase()}`);
    await box.store.put(csiNode(n.name, n.systemUUID!));
  }
  await box.store.put({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'vsphere-csi', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: CSI_DRIVER,
    parameters: { datastoreurl: localDsUrl },
  } as KubeObject);
  await putCpiConf(cpiConf());
  await putCsiConf(csiConf());
  for (const w of workloads()) await box.store.put(w);
  await settled();
}

beforeAll(async () => {
  const datastores = await sim().inspect('datastores');
  localDsUrl = datastores.find((d) => d.name === 'LocalDS_0')!.url;
  partialDsUrl = datastores.find((d) => d.name === 'PartialNFS_0')!.url;
  await healthyCluster();
}, 120_000);

/** Replaces a StorageClass: its parameters are immutable, so delete and create, as kubectl replace --force. */
async function replaceClass(sc: KubeObject): Promise<void> {
  await box.store.delete('StorageClass', sc.metadata.name);
  await waitFor('class deleted', async () => !(await box.store.get('StorageClass', sc.metadata.name)), {
    timeoutMs: 10_000,
  });
  const { name, annotations, labels } = sc.metadata;
  await box.store.put({ ...sc, metadata: { name, annotations, labels } });
}

describe('vk doctor', () => {
  it('passes every check on a healthy setup and exits 0', async () => {
    const r = await doctor();
    expect(r.stderr).toMatch(new RegExp(`^${CHECKS} checks: ${CHECKS - 3} pass, 3 skip$`, 'm'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CHECK\s+STATUS\s+DETAIL/im);
    expect(r.stdout).not.toMatch(/\bFIX\b/i);
    const { byId } = await checks();
    expect(failing(byId)).toEqual([]);
    expect(byId.get('nodes-vms')!.detail).toBe('3 nodes matched');
    expect(byId.get('cpi')!.detail).toBe(`${CPI_VERSION}, 1/1 ready`);
    expect(byId.get('csi')!.detail).toBe('controller 1/1 ready, registered on 3 nodes');
    expect(byId.get('kubernetes')!.detail).toMatch(/^v1\.36\.\d+, 3 nodes$/);
    expect([...byId.keys()]).toEqual([
      'vcenter',
      'kubernetes',
      'datacenters',
      'nodes-vms',
      'disk-uuid',
      'node-addresses',
      'vsphere-version',
      'vm-hardware',
      'vmware-tools',
      'zone-tags',
      'vsan-file-services',
      'nodes-initialized',
      'cpi',
      'csi',
      'storageclass',
      'storageclass-datastore',
      'in-tree',
      'csi-user',
      'cluster-id',
      'tls-trust',
      'cpi-drift',
      'csi-drift',
      'snapshots',
    ]);
    expect(byId.get('datacenters')!.detail).toBe('vk: not set, vCenter has /DC0; CPI: DC0; CSI: DC0');
    expect(byId.get('storageclass-datastore')!.detail).toBe('vsphere-csi: LocalDS_0 on the hosts of all 3 nodes');
    expect(byId.get('csi-user')!.detail).toBe('k8s-csi@vsphere.local');
    expect(byId.get('vsphere-version')!.detail).toBe(
      'vCenter 8.0 U3, ESXi 8.0 U2 on 3 hosts: the vSphere CSI driver v3.8.0 (the release for Kubernetes 1.36) and all its features',
    );
    expect(byId.get('vm-hardware')!.detail).toBe('3 node VMs at vmx-21');
    expect(byId.get('node-addresses')!.detail).toBe('3 nodes on an IP of their VM');
    expect(byId.get('vmware-tools')!.detail).toBe('running on all 3 node VMs');
    expect(byId.get('zone-tags')).toMatchObject({
      status: 'skip',
      detail: 'no zones configured (no CPI labels, no CSI topology-categories)',
    });
    expect(byId.get('tls-trust')!.detail).toContain('CPI pins the server');
    expect(r.stdout).not.toContain('s3cret');
  });

  it('fails disk-uuid only, naming the VM, when a node runs on a VM without disk.enableUUID', async () => {
    await joinNode(node4, `vsphere://${node4.systemUUID}`);
    try {
      const { code, byId, stderr } = await checks();
      expect(failing(byId)).toEqual(['disk-uuid:fail']);
      expect(byId.get('disk-uuid')!.detail).toContain('k8s-node-0004');
      expect(byId.get('disk-uuid')!.fix).toMatch(/vk prepare-vms FOLDER.*power cycle/);
      expect(code).toBe(1);
      expect(stderr).toMatch(new RegExp(`^${CHECKS} checks: ${CHECKS - 4} pass, 1 fail, 3 skip$`, 'm'));
    } finally {
      await removeNode(node4.name);
    }
  });

  it("fails node-addresses only when a node's InternalIP is not an IP of its VM, naming the CPI option", async () => {
    const spec = box.vmNodeSpecs.find((n) => n.name === 'k8s-node-0003')!;
    const vm = (await sim().inspect('vms')).find((v) => v.name === spec.name)!;
    const providerID = `vsphere://${spec.systemUUID}`;
    await removeNode(spec.name);
    await joinNode({ ...spec, ip: '192.168.99.7' }, providerID);
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['node-addresses:fail']);
      expect(byId.get('node-addresses')!.detail).toBe(
        `k8s-node-0003: InternalIP 192.168.99.7 is not an IP of VM k8s-node-0003 (${vm.ipAddress})`,
      );
      expect(byId.get('node-addresses')!.fix).toMatch(
        /^tell the CPI which NIC is internal: vk install cpi --internal-network-subnet-cidr 10\.0\.0\.0\/16 /,
      );
      expect(code).toBe(1);
    } finally {
      await removeNode(spec.name);
      await joinNode(spec, providerID);
    }
  });

  it('fails nodes-vms only when a node matches no VM by UUID or name', async () => {
    await joinNode({ name: 'ghost-0001' }, 'vsphere://0000-nope');
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['nodes-vms:fail']);
      expect(byId.get('nodes-vms')!.detail).toContain('ghost-0001');
      expect(byId.get('nodes-vms')!.fix).toMatch(/name/);
      expect(code).toBe(1);
    } finally {
      await removeNode('ghost-0001');
    }
  });

  it('fails nodes-initialized only when a node still has the uninitialized taint', async () => {
    const node = (await box.store.get<Node>('Node', 'k8s-node-0002'))!;
    const taints = node.spec.taints ?? [];
    await patch('Node', 'k8s-node-0002', {
      spec: { taints: [...taints, { key: TAINT, value: 'true', effect: 'NoSchedule' }] },
    });
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['nodes-initialized:fail']);
      expect(byId.get('nodes-initialized')!.detail).toContain('k8s-node-0002');
      expect(byId.get('nodes-initialized')!.fix).toContain('vk install cpi');
      expect(code).toBe(1);
    } finally {
      await patch('Node', 'k8s-node-0002', { spec: { taints } });
    }
  });

  it('fails storageclass only when there is no default StorageClass', async () => {
    const annotations = { 'storageclass.kubernetes.io/is-default-class': 'true' };
    await patch('StorageClass', 'vsphere-csi', {
      metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': null } },
    });
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['storageclass:fail']);
      expect(byId.get('storageclass')!.detail).toBe('no default StorageClass');
      expect(byId.get('storageclass')!.fix).toContain('vk storageclass create NAME --datastore DATASTORE --default');
      expect(code).toBe(1);
    } finally {
      await patch('StorageClass', 'vsphere-csi', { metadata: { annotations } });
    }
  });

  it('warns about in-tree vsphere-volume StorageClasses without failing', async () => {
    await box.store.put({
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
      await box.store.delete('StorageClass', 'thin');
    }
  });

  it('warns when the CPI release is not the one for the cluster, and fails when it is not ready', async () => {
    const cpi = () => workloadOf('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system');
    const oldImage = 'registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.28.0';
    const template = (image: string, labels: Record<string, string>) => ({
      spec: {
        template: { metadata: { labels }, spec: { containers: [{ name: 'vsphere-cloud-controller-manager', image }] } },
      },
    });
    await patch('DaemonSet', 'vsphere-cloud-controller-manager', template(oldImage, CPI_LABELS), 'kube-system');
    try {
      await settled();
      const warn = await checks();
      // cpi-drift: a release vk's table does not pair with the cluster's minor is a failure.
      expect(failing(warn.byId)).toEqual(['cpi:warn', 'cpi-drift:fail']);
      expect(warn.byId.get('cpi')!.fix).toBe(`vk install cpi --version ${CPI_VERSION}`);
      expect(warn.byId.get('cpi-drift')!.fix).toBe(`vk install cpi --version ${CPI_VERSION}`);
      expect(warn.code).toBe(1);

      // The new pod's container exits at once (kwok's crash stage): the rollout leaves 0 of 1 ready.
      await patch(
        'DaemonSet',
        'vsphere-cloud-controller-manager',
        template(oldImage, { ...CPI_LABELS, 'box.vk.test/fail': 'crash' }),
        'kube-system',
      );
      await waitFor(
        'the crashing CPI pod rolled out',
        async () => {
          const ds = await cpi();
          const s = ds.status ?? {};
          return (
            (s.observedGeneration ?? 0) >= ds.metadata.generation! &&
            s.updatedNumberScheduled === 1 &&
            s.numberReady === 0
          );
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      const fail = await checks();
      expect(failing(fail.byId)).toEqual(['cpi:fail', 'cpi-drift:fail']);
      expect(fail.byId.get('cpi')!.detail).toContain('0/1 ready');
      expect(fail.code).toBe(1);
    } finally {
      const labels = { ...CPI_LABELS, 'box.vk.test/fail': null } as unknown as Record<string, string>;
      await patch('DaemonSet', 'vsphere-cloud-controller-manager', template(CPI_IMAGE, labels), 'kube-system');
      await settled();
    }
  });

  it('fails csi only when a node has no CSINode registration', async () => {
    const registration = (await box.store.get('CSINode', 'k8s-node-0003'))!;
    await box.store.delete('CSINode', 'k8s-node-0003');
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['csi:fail']);
      expect(byId.get('csi')!.detail).toContain('k8s-node-0003');
      expect(code).toBe(1);
    } finally {
      const { apiVersion, kind, spec } = registration;
      await box.store.put({ apiVersion, kind, metadata: { name: 'k8s-node-0003' }, spec });
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
    const r = await runVk(['doctor', '-o', 'json', '--kubeconfig', box.kubeconfig, '--request-timeout', '5'], {
      ...sim().env,
      GOVC_URL: 'http://127.0.0.1:1/sdk',
    });
    expect(r.code).toBe(1);
    const byId = new Map((JSON.parse(r.stdout) as Check[]).map((c) => [c.id, c]));
    expect(byId.get('vcenter')!.status).toBe('fail');
    expect(byId.get('vcenter')!.detail).not.toContain('\n');
    expect(byId.get('vcenter')!.fix).toBeTruthy();
    expect(byId.get('nodes-vms')!.status).toBe('skip');
    expect(byId.get('disk-uuid')!.status).toBe('skip');
    for (const id of [
      'datacenters',
      'storageclass-datastore',
      'tls-trust',
      'vsphere-version',
      'vm-hardware',
      'vmware-tools',
    ]) {
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
    expect(r.stderr).toMatch(/^23 checks: 10 pass, 1 fail, 12 skip$/m);
  });

  it('with a ReadWriteMany claim: fails vsan-file-services naming the cluster until vSAN File Services is on, then passes', async () => {
    const account = { url: sim().url, username: sim().username, password: sim().password };
    const claim: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'shared', namespace: 'default' },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } },
    };
    await box.store.put(claim);
    try {
      expect(await fileServicesEnabled(account, '/DC0/host/DC0_C0')).toBe(false);
      const off = await checks();
      expect(failing(off.byId)).toEqual(['vsan-file-services:fail']);
      expect(off.byId.get('vsan-file-services')).toEqual({
        id: 'vsan-file-services',
        title: 'vSAN File Services enabled for ReadWriteMany volumes',
        status: 'fail',
        detail: 'not enabled on cluster DC0_C0; used by 1 ReadWriteMany/ReadOnlyMany claim (default/shared)',
        fix: 'enable vSAN File Services in the vSphere Client: Cluster > Configure > vSAN > Services > File Service',
      });
      expect(off.code).toBe(1);

      await setFileServices(account, '/DC0/host/DC0_C0', true);
      const on = await checks();
      expect(on.byId.get('vsan-file-services')).toMatchObject({
        status: 'pass',
        detail: 'enabled on cluster DC0_C0; used by 1 ReadWriteMany/ReadOnlyMany claim (default/shared)',
      });
      expect(failing(on.byId)).toEqual([]);
      expect(on.code).toBe(0);
    } finally {
      await setFileServices(account, '/DC0/host/DC0_C0', false);
      await box.store.delete('PersistentVolumeClaim', 'shared', 'default');
    }
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
    await box.store.put({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 'nfs-partial' },
      provisioner: CSI_DRIVER,
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
      await box.store.delete('StorageClass', 'nfs-partial');
    }
  });

  it('fails storageclass-datastore only when no datastore has the default class URL', async () => {
    const sc = (await box.store.get('StorageClass', 'vsphere-csi'))!;
    await replaceClass({ ...sc, parameters: { datastoreurl: 'ds:///vmfs/volumes/nope/' } });
    try {
      const { code, byId } = await checks();
      expect(failing(byId)).toEqual(['storageclass-datastore:fail']);
      expect(byId.get('storageclass-datastore')!.detail).toBe(
        'StorageClass vsphere-csi: no datastore has datastoreurl ds:///vmfs/volumes/nope/',
      );
      expect(code).toBe(1);
    } finally {
      await replaceClass(sc);
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
    const uid = (await box.store.get('Namespace', 'kube-system'))!.metadata.uid!;
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
      `CSI thumbprint ${wrong} does not match the server's certificate (SHA-256 ${sim().thumbprint})`,
    );
    expect(byId.get('tls-trust')!.fix).toContain(`set thumbprint to ${sim().thumbprint} in Secret vmware-system-csi`);
    expect(code).toBe(1);
  });

  it('fails tls-trust only when a driver points at another vCenter host', async () => {
    const { code, byId } = await withConf('cpi', { server: 'vc.example.com' });
    expect(failing(byId)).toEqual(['tls-trust:fail']);
    expect(byId.get('tls-trust')!.detail).toBe(`CPI connects to vc.example.com:${port()}, vk to ${sim().host}`);
    expect(byId.get('tls-trust')!.fix).toContain('vk generate cpi --apply regenerates it');
    expect(code).toBe(1);
  });

  it('warns on tls-trust only when a driver skips verification while vk verifies', async () => {
    const { code, byId } = await withConf('cpi', { insecure: true, thumbprint: '' });
    expect(failing(byId)).toEqual(['tls-trust:warn']);
    expect(byId.get('tls-trust')!.detail).toContain('CPI skips certificate verification');
    expect(byId.get('tls-trust')!.fix).toContain(sim().thumbprint);
    expect(code).toBe(0);
  });

  it('passes tls-trust with a note when vk runs --insecure and the drivers pin the certificate', async () => {
    const r = await runVk(['doctor', '-o', 'json', '--kubeconfig', box.kubeconfig, '--insecure'], sim().env);
    const byId = new Map((JSON.parse(r.stdout) as Check[]).map((c) => [c.id, c]));
    expect(failing(byId)).toEqual([]);
    expect(byId.get('tls-trust')!.detail).toContain('vk: no verification (--insecure)');
  });
});
