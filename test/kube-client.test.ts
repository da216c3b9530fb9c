// The kube client against the in-memory API server: errors as one line (via the
// built CLI where a command exposes them, via the library otherwise),
// server-side apply actions, and watch-based waiters with their timeout messages.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/cli/logger.js';
import { connectKube, type KubeClient } from '../src/lib/kube/connect.js';
import { WaitTimeoutError } from '../src/lib/kube/wait.js';
import { startKubeServer, type KubeObject, type KubeServer } from './support/kube-server/index.js';

const ROOT = join(import.meta.dirname, '..');
const home = mkdtempSync(join(tmpdir(), 'vk-kube-home-'));

function vk(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/run.js'), ...args],
      { env: { PATH: process.env.PATH, HOME: home, NO_COLOR: '1' }, timeout: 50_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

let server: KubeServer | undefined;
let client: KubeClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.stop();
  client = server = undefined;
});

async function connect(s: KubeServer): Promise<KubeClient> {
  client = await connectKube(
    { kubeconfig: s.kubeconfigPath },
    {},
    { log: silentLogger, signal: new AbortController().signal },
  );
  return client;
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: Error & { hint?: string }) => e,
  );

describe('errors are one line', () => {
  it('401: credentials rejected, naming server and context (CLI)', async () => {
    server = await startKubeServer({ nodes: 1, token: 'right' });
    const kc = join(mkdtempSync(join(tmpdir(), 'vk-401-')), 'kubeconfig');
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server.url}"}}]\nusers: [{name: u, user: {token: wrong}}]\ncontexts: [{name: lab, context: {cluster: c, user: u}}]\ncurrent-context: lab\n`,
    );
    const r = await vk(['taint-nodes', '--list', '--kubeconfig', kc]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: the server ${server.url} rejected the credentials of kubeconfig context "lab" (401 Unauthorized); ` +
        `check the user's token or client certificate in the kubeconfig (it may have expired); pass --kubeconfig/--context or set KUBECONFIG\n`,
    );
    expect(r.stderr).not.toContain('wrong');
  });

  it('403: the server message plus the permission to ask for (CLI)', async () => {
    server = await startKubeServer({ nodes: 1, forbid: [{ verb: 'list', resource: 'nodes' }] });
    const r = await vk(['taint-nodes', '--list', '--kubeconfig', server.kubeconfigPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: nodes is forbidden: User "[^"]+" cannot list resource "nodes" in API group "" at the cluster scope; the kubeconfig user needs RBAC permission to list nodes\n$/,
    );
  });

  it('connection refused names the server URL (CLI)', async () => {
    server = await startKubeServer();
    const kc = server.kubeconfigPath;
    const url = server.url;
    await server.stop();
    server = undefined;
    const r = await vk(['taint-nodes', '--kubeconfig', kc]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^error: cannot connect to the Kubernetes API server at ${url}: connection refused; `),
    );
  });

  it('unknown --context lists the contexts (CLI, exit 2)', async () => {
    server = await startKubeServer();
    const r = await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath, '--context', 'prod']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: context "prod" not found in kubeconfig .* \(contexts: kube-test\); pick one with --context\n$/,
    );
  });

  it('404, 409 and 422 from the library', async () => {
    server = await startKubeServer({ nodes: 1 });
    const kube = await connect(server);
    const nf = await errorOf(kube.get({ apiVersion: 'v1', kind: 'Node', name: 'w-3' }));
    expect(nf?.message).toBe('nodes "w-3" not found');
    const exists = await errorOf(kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }));
    expect(exists?.message).toBe('namespaces "default" already exists');
    const dup = { key: 'a', value: 'b', effect: 'NoSchedule' };
    const invalid = await errorOf(
      kube.patch({ apiVersion: 'v1', kind: 'Node', name: 'k8s-node-0001' }, { spec: { taints: [dup, dup] } }, 'merge'),
    );
    expect(invalid?.message).toMatch(
      /^Node "k8s-node-0001" is invalid: spec\.taints\[1\]: Duplicate value: .*taints must be unique by key and effect pair$/,
    );
    expect(invalid?.message).not.toContain('\n');
    expect(await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'nope' })).toBe(false);
    expect((await kube.version()).gitVersion).toMatch(/^v1\.\d+/);
  });
});

describe('server-side apply', () => {
  it('reports created, then unchanged, then configured; dry-run stores nothing', async () => {
    server = await startKubeServer();
    const kube = await connect(server);
    const cm = (v: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'kube-system' },
      data: { k: v },
    });
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'vmware-system-csi' } };
    expect((await kube.apply([ns, cm('1')])).map((r) => r.action)).toEqual(['created', 'created']);
    expect((await kube.apply([ns, cm('1')])).map((r) => r.action)).toEqual(['unchanged', 'unchanged']);
    expect((await kube.apply([cm('2')], { dryRun: true })).map((r) => r.action)).toEqual(['configured']);
    expect((server.store.get('ConfigMap', 'cfg', 'kube-system')?.data as Record<string, string>).k).toBe('1');
    expect((await kube.apply([cm('2')])).map((r) => r.action)).toEqual(['configured']);
    expect((server.store.get('ConfigMap', 'cfg', 'kube-system')?.data as Record<string, string>).k).toBe('2');
  });
});

const daemonSet = (ready: number, desired = 3): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'vsphere-cloud-controller-manager', namespace: 'kube-system', generation: 1 },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'vsphere-cloud-controller-manager' } },
      template: {
        metadata: { labels: { 'k8s-app': 'vsphere-cloud-controller-manager' } },
        spec: { containers: [{ name: 'ccm', image: 'x' }] },
      },
    },
    status: {
      observedGeneration: 1,
      desiredNumberScheduled: desired,
      currentNumberScheduled: desired,
      updatedNumberScheduled: desired,
      numberReady: ready,
      numberAvailable: ready,
      numberMisscheduled: 0,
    },
  }) as KubeObject;

describe('waiters', () => {
  // Object states are set by the test itself: no simulated controller may move them.
  const start = async () => {
    const s = await startKubeServer();
    s.controllers.setAll(false);
    return s;
  };

  it('a DaemonSet rollout times out naming the pods still missing, their reasons and the latest events', async () => {
    server = await start();
    server.store.put(daemonSet(1));
    server.store.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'vsphere-cloud-controller-manager-x7k2p',
        namespace: 'kube-system',
        labels: { 'k8s-app': 'vsphere-cloud-controller-manager' },
      },
      spec: { containers: [{ name: 'ccm', image: 'x' }] },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          {
            name: 'ccm',
            ready: false,
            restartCount: 0,
            image: 'x',
            imageID: '',
            state: { waiting: { reason: 'ErrImagePull', message: 'pull access denied for x' } },
          },
        ],
      },
    } as KubeObject);
    server.store.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'ccm.1', namespace: 'kube-system' },
      involvedObject: { kind: 'DaemonSet', name: 'vsphere-cloud-controller-manager', namespace: 'kube-system' },
      type: 'Warning',
      reason: 'FailedCreate',
      message: 'Error creating: pods "x" is forbidden',
      count: 4,
      lastTimestamp: new Date().toISOString(),
    } as unknown as KubeObject);
    const kube = await connect(server);
    const started = Date.now();
    const err = await errorOf(
      kube.wait.daemonSetRollout(
        { namespace: 'kube-system', name: 'vsphere-cloud-controller-manager' },
        { timeoutMs: 800 },
      ),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err?.message).toBe(
      'daemonset kube-system/vsphere-cloud-controller-manager: 1 of 3 pods ready after 800ms ' +
        '(pod vsphere-cloud-controller-manager-x7k2p: container ccm: ErrImagePull: pull access denied for x; ' +
        'latest events: Warning FailedCreate: Error creating: pods "x" is forbidden (x4))',
    );
  });

  it('a rollout that completes while watched returns at once', async () => {
    server = await start();
    server.store.put(daemonSet(1));
    const kube = await connect(server);
    const s = server;
    setTimeout(
      () =>
        s.store.put({
          ...daemonSet(3),
          metadata: s.store.get('DaemonSet', 'vsphere-cloud-controller-manager', 'kube-system')!.metadata,
        }),
      300,
    );
    const started = Date.now();
    await kube.wait.daemonSetRollout(
      { namespace: 'kube-system', name: 'vsphere-cloud-controller-manager' },
      { timeoutMs: 10_000 },
    );
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('PVC Bound, pod phase and deletion time out with what is missing', async () => {
    server = await start();
    server.store.put({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: 'default' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      status: { phase: 'Pending' },
    } as KubeObject);
    server.store.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'data.1', namespace: 'default' },
      involvedObject: { kind: 'PersistentVolumeClaim', name: 'data', namespace: 'default' },
      type: 'Warning',
      reason: 'ProvisioningFailed',
      message: 'failed to provision volume: no datastore',
      count: 1,
      lastTimestamp: new Date().toISOString(),
    } as unknown as KubeObject);
    const kube = await connect(server);
    const pvc = await errorOf(kube.wait.pvcBound({ namespace: 'default', name: 'data' }, { timeoutMs: 300 }));
    expect(pvc?.message).toBe(
      'persistentvolumeclaim default/data: still Pending, not Bound after 300ms (latest events: Warning ProvisioningFailed: failed to provision volume: no datastore)',
    );
    const pod = await errorOf(
      kube.wait.podPhase({ namespace: 'default', name: 'writer' }, ['Succeeded'], { timeoutMs: 300 }),
    );
    expect(pod?.message).toBe('pod default/writer: not found after 300ms');
    const gone = await errorOf(
      kube.wait.deleted(
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data' },
        { timeoutMs: 300 },
      ),
    );
    expect(gone?.message).toMatch(/^persistentvolumeclaim default\/data: still exists after 300ms/);
    const s = server;
    setTimeout(() => s.store.delete('PersistentVolumeClaim', 'data', 'default'), 200);
    await kube.wait.deleted(
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data' },
      { timeoutMs: 5_000 },
    );
  });
});
