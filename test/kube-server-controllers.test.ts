// The test server's controllers do what a cluster does after vk acts:
// rollouts, node initialization by the CPI, CSI registration, volume binding,
// pods running to completion — or fail the way real clusters fail.
/* eslint-disable @typescript-eslint/no-explicit-any -- assertions read arbitrary API JSON */
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import {
  startKubeServer,
  type KubeObject,
  type KubeServer,
  type StartKubeServerOptions,
} from './support/kube-server/index.js';

const UNINIT = { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' as const };

let server: KubeServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(opts: StartKubeServerOptions): Promise<KubeServer> {
  server = await startKubeServer(opts);
  return server;
}

async function send(s: KubeServer, method: string, path: string, body?: unknown): Promise<any> {
  const res = await s.fetch(path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as { message: string };
  if (!res.ok) throw new Error(`${method} ${path}: ${json.message}`);
  return json;
}

const workload = (kind: 'DaemonSet' | 'Deployment', name: string, namespace: string, spec: object = {}): object => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: { name, namespace },
  spec: {
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name, image: `registry.example.com/${name}:v1` }], ...spec },
    },
  },
});

const tolerateAll = { tolerations: [{ operator: 'Exists' }] };
const spec = (o: KubeObject | undefined): any => o?.spec;
const status = (o: KubeObject | undefined): any => o?.status;

describe('workloads', () => {
  it('a DaemonSet becomes ready on every node it tolerates, seen through a client-node Watch', async () => {
    // HTTPS: client-node checks the server against the kubeconfig's CA.
    const s = await start({ tls: true, nodes: 3, nodeOptions: { controlPlane: 1 } });
    const kc = new KubeConfig();
    kc.loadFromFile(s.kubeconfigPath);
    const seen: string[] = [];
    let onReady: (ds: any) => void = () => undefined;
    const ready = new Promise<any>((resolve) => (onReady = resolve));
    const watch = await new Watch(kc).watch(
      '/apis/apps/v1/namespaces/kube-system/daemonsets',
      { fieldSelector: 'metadata.name=agent' },
      (type, obj) => {
        seen.push(type);
        if (obj.status?.observedGeneration === obj.metadata.generation && obj.status?.numberReady > 0) onReady(obj);
      },
      () => undefined,
    );
    onTestFinished(() => watch.abort());
    await send(
      s,
      'POST',
      '/apis/apps/v1/namespaces/kube-system/daemonsets',
      workload('DaemonSet', 'agent', 'kube-system'),
    );
    const ds = await ready;
    // The control-plane node's NoSchedule taint is not tolerated.
    expect(ds.status).toMatchObject({
      desiredNumberScheduled: 2,
      numberReady: 2,
      updatedNumberScheduled: 2,
      numberAvailable: 2,
    });
    expect(seen.slice(0, 2)).toEqual(['ADDED', 'MODIFIED']);
    const pods = s.store.list('Pod', 'kube-system');
    expect(pods.map((p) => spec(p).nodeName).sort()).toEqual(['k8s-node-0002', 'k8s-node-0003']);
  });

  it('a Deployment with required anti-affinity gets only as many ready replicas as eligible nodes', async () => {
    const s = await start({ nodes: 3, nodeOptions: { controlPlane: 1 } });
    const cpOnly = {
      nodeSelector: { 'node-role.kubernetes.io/control-plane': '' },
      ...tolerateAll,
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }],
        },
      },
    };
    await send(s, 'POST', '/apis/apps/v1/namespaces/default/deployments', {
      ...workload('Deployment', 'ctrl', 'default', cpOnly),
      spec: { ...(workload('Deployment', 'ctrl', 'default', cpOnly) as any).spec, replicas: 3 },
    });
    await expect.poll(() => status(s.store.get('Deployment', 'ctrl', 'default'))?.observedGeneration).toBe(1);
    expect(status(s.store.get('Deployment', 'ctrl', 'default'))).toMatchObject({
      replicas: 3,
      readyReplicas: 1,
      unavailableReplicas: 2,
    });
    const pending = s.store.list('Pod', 'default').filter((p) => status(p).phase === 'Pending');
    expect(pending).toHaveLength(2);
  });

  it('a failing workload has pods stuck in ImagePullBackOff and a Warning event', async () => {
    const s = await start({ nodes: 2 });
    s.controllers.workloads.fail('broken');
    await send(s, 'POST', '/apis/apps/v1/namespaces/default/deployments', workload('Deployment', 'broken', 'default'));
    await expect.poll(() => status(s.store.get('Deployment', 'broken', 'default'))?.observedGeneration).toBe(1);
    expect(status(s.store.get('Deployment', 'broken', 'default'))).toMatchObject({
      replicas: 1,
      unavailableReplicas: 1,
    });
    expect(status(s.store.get('Deployment', 'broken', 'default')).readyReplicas).toBeUndefined();
    const [pod] = s.store.list('Pod', 'default');
    expect(status(pod).containerStatuses[0].state.waiting).toEqual({
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "registry.example.com/broken:v1"',
    });
    const events = s.store.list('Event', 'default').filter((e: any) => e.involvedObject.name === pod.metadata.name);
    expect(events.map((e: any) => `${e.type} ${e.reason}`)).toContain('Warning Failed');
  });
});

describe('cloud-controller-manager', () => {
  it('initializes the nodes whose VM it finds once the CPI DaemonSet is ready, and leaves the others', async () => {
    const s = await start({
      nodes: 3,
      nodeOptions: {
        controlPlane: 1,
        taints: [UNINIT],
        uuids: {
          'k8s-node-0001': '4201aaaa-0000-0000-0000-000000000001',
          'k8s-node-0002': '4201aaaa-0000-0000-0000-000000000002',
        },
      },
    });
    // Nothing happens before the CPI runs.
    await new Promise((r) => setTimeout(r, 150));
    expect(spec(s.store.get('Node', 'k8s-node-0001')).providerID).toBeUndefined();
    await send(
      s,
      'POST',
      '/apis/apps/v1/namespaces/kube-system/daemonsets',
      workload('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system', tolerateAll),
    );
    await expect
      .poll(() => spec(s.store.get('Node', 'k8s-node-0002')).providerID)
      .toBe('vsphere://4201aaaa-0000-0000-0000-000000000002');
    expect(spec(s.store.get('Node', 'k8s-node-0001')).taints).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
    ]);
    expect(spec(s.store.get('Node', 'k8s-node-0002')).taints).toBeUndefined();
    expect(spec(s.store.get('Node', 'k8s-node-0003'))).toMatchObject({ taints: [UNINIT] });
    expect(spec(s.store.get('Node', 'k8s-node-0003')).providerID).toBeUndefined();
  });

  it('does nothing while the CPI DaemonSet fails', async () => {
    const s = await start({
      nodes: 1,
      nodeOptions: { taints: [UNINIT], uuids: ['4201aaaa-0000-0000-0000-000000000009'] },
    });
    s.controllers.workloads.fail('vsphere-cloud-controller-manager', 'ErrImagePull');
    await send(
      s,
      'POST',
      '/apis/apps/v1/namespaces/kube-system/daemonsets',
      workload('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system', tolerateAll),
    );
    await expect
      .poll(
        () => status(s.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system'))?.observedGeneration,
      )
      .toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(spec(s.store.get('Node', 'k8s-node-0001')).providerID).toBeUndefined();
  });
});

describe('CSI', () => {
  it('registers the driver and a CSINode per node once controller and node plugin are ready', async () => {
    const s = await start({ nodes: 2, nodeOptions: { controlPlane: 1 } });
    await send(s, 'POST', '/api/v1/namespaces', { metadata: { name: 'vmware-system-csi' } });
    await send(
      s,
      'POST',
      '/apis/apps/v1/namespaces/vmware-system-csi/daemonsets',
      workload('DaemonSet', 'vsphere-csi-node', 'vmware-system-csi', tolerateAll),
    );
    await send(
      s,
      'POST',
      '/apis/apps/v1/namespaces/vmware-system-csi/deployments',
      workload('Deployment', 'vsphere-csi-controller', 'vmware-system-csi', tolerateAll),
    );
    await expect.poll(() => s.store.list('CSINode').length).toBe(2);
    expect(s.store.get('CSIDriver', 'csi.vsphere.vmware.com')).toBeDefined();
    expect(spec(s.store.get('CSINode', 'k8s-node-0001')).drivers).toEqual([
      expect.objectContaining({ name: 'csi.vsphere.vmware.com', nodeID: 'k8s-node-0001' }),
    ]);
  });
});

describe('provisioner and pods', () => {
  const sc = (name: string, isDefault: boolean): object => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name, annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
    provisioner: 'csi.vsphere.vmware.com',
    parameters: { datastoreurl: 'ds:///vmfs/volumes/local-0/' },
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
  const pvc = (name: string): object => ({
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  });

  it('binds a claim of the default class to a new CSI volume and calls onProvision', async () => {
    const provisioned: string[] = [];
    const s = await start({
      nodes: 1,
      controllers: { provisioner: { onProvision: (pv) => void provisioned.push((pv.spec as any).csi.volumeHandle) } },
    });
    await send(s, 'POST', '/apis/storage.k8s.io/v1/storageclasses', sc('vsphere', true));
    const created = await send(s, 'POST', '/api/v1/namespaces/default/persistentvolumeclaims', pvc('data'));
    expect(created.spec.storageClassName).toBe('vsphere');
    expect(created.status.phase).toBe('Pending');
    await expect.poll(() => status(s.store.get('PersistentVolumeClaim', 'data', 'default')).phase).toBe('Bound');
    const bound = s.store.get('PersistentVolumeClaim', 'data', 'default')!;
    const pv = s.store.get('PersistentVolume', spec(bound).volumeName)!;
    expect(spec(pv)).toMatchObject({
      capacity: { storage: '1Gi' },
      claimRef: { name: 'data', namespace: 'default', uid: bound.metadata.uid },
      csi: { driver: 'csi.vsphere.vmware.com' },
    });
    expect(provisioned).toEqual([spec(pv).csi.volumeHandle]);
    expect(status(pv).phase).toBe('Bound');
  });

  it('leaves the claim Pending with a ProvisioningFailed event when told to fail', async () => {
    const s = await start({
      nodes: 1,
      controllers: { provisioner: { failWith: 'failed to create volume: no shared datastores found' } },
    });
    await send(s, 'POST', '/apis/storage.k8s.io/v1/storageclasses', sc('vsphere', true));
    await send(s, 'POST', '/api/v1/namespaces/default/persistentvolumeclaims', pvc('data'));
    await expect
      .poll(() => s.store.list('Event', 'default').find((e: any) => e.reason === 'ProvisioningFailed'))
      .toMatchObject({
        type: 'Warning',
        involvedObject: { kind: 'PersistentVolumeClaim', name: 'data' },
        message:
          'failed to provision volume with StorageClass "vsphere": rpc error: code = Internal desc = failed to create volume: no shared datastores found',
      });
    expect(status(s.store.get('PersistentVolumeClaim', 'data', 'default')).phase).toBe('Pending');
  });

  it('runs pods after their claim is bound, to the outcome the test decides, with logs', async () => {
    const s = await start({ nodes: 1 });
    s.controllers.pods.decideBy((pod) => {
      const cmd = ((pod.spec as any).containers[0].command ?? []).join(' ');
      return cmd.includes('cat') ? { phase: 'Succeeded', log: 'token-123\n' } : undefined;
    });
    s.controllers.pods.whenName(/^fails-/, { phase: 'Failed', exitCode: 2 });
    await send(s, 'POST', '/apis/storage.k8s.io/v1/storageclasses', sc('vsphere', true));
    const pod = (name: string, command: string[]): object => ({
      metadata: { name },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'c', image: 'busybox', command, volumeMounts: [{ name: 'v', mountPath: '/data' }] }],
        volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'data' } }],
      },
    });
    await send(s, 'POST', '/api/v1/namespaces/default/pods', pod('reader', ['cat', '/data/token']));
    await send(s, 'POST', '/api/v1/namespaces/default/pods', pod('fails-1', ['false']));
    await new Promise((r) => setTimeout(r, 150));
    expect(status(s.store.get('Pod', 'reader', 'default')).phase).toBe('Pending'); // no claim yet
    await send(s, 'POST', '/api/v1/namespaces/default/persistentvolumeclaims', pvc('data'));
    await expect.poll(() => status(s.store.get('Pod', 'reader', 'default')).phase).toBe('Succeeded');
    await expect.poll(() => status(s.store.get('Pod', 'fails-1', 'default')).phase).toBe('Failed');
    expect(status(s.store.get('Pod', 'fails-1', 'default')).containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 2,
      reason: 'Error',
    });
    const log = await s.fetch('/api/v1/namespaces/default/pods/reader/log');
    expect(await log.text()).toBe('token-123\n');
  });
});
