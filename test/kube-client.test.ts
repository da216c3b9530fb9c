// The kube client against the box's real kube-apiserver: errors as one line
// (via the built CLI where a command exposes them, via the library
// otherwise), server-side apply actions, and watch-based waiters with their
// timeout messages, driven by real controllers and kwok stages.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/cli/logger.js';
import { connectKube, type KubeClient } from '../src/lib/kube/connect.js';
import { WaitTimeoutError } from '../src/lib/kube/wait.js';
import { useBox } from './support/box.js';
import { runVk } from './support/run-vk.js';

const box = useBox({ noVcsim: true, withoutCloudProviderTaint: true });
beforeAll(async () => {
  await box.addNodes([{ name: 'k8s-node-0001' }, { name: 'k8s-node-0002' }, { name: 'k8s-node-0003' }]);
});

const vk = (args: string[]) => runVk(args, { NO_COLOR: '1' });

let client: KubeClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
});

async function connect(): Promise<KubeClient> {
  client = await connectKube(
    { kubeconfig: box.kubeconfig },
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

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function kubeconfigWith(server: string, user: string): string {
  const kc = join(box.dir, `kc-${Math.random().toString(36).slice(2)}`);
  const ca = Buffer.from(box.caPem).toString('base64');
  writeFileSync(
    kc,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}", certificate-authority-data: ${ca}}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: lab, context: {cluster: c, user: u}}]\ncurrent-context: lab\n`,
  );
  return kc;
}

describe('errors are one line', () => {
  it('401: credentials rejected, naming server and context (CLI)', async () => {
    const kc = kubeconfigWith(box.apiServerUrl, '{token: wrong}');
    const r = await vk(['taint-nodes', '--list', '--kubeconfig', kc]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: the server ${box.apiServerUrl} rejected the credentials of kubeconfig context "lab" (401 Unauthorized); ` +
        `check the user's token or client certificate in the kubeconfig (it may have expired); pass --kubeconfig/--context or set KUBECONFIG\n`,
    );
    expect(r.stderr).not.toContain('wrong');
  });

  it('403: the server message plus the permission to ask for (CLI)', async () => {
    // A user RBAC knows nothing about.
    const r = await vk(['taint-nodes', '--list', '--kubeconfig', await box.kubeconfigFor('ci-robot')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: nodes is forbidden: User "ci-robot" cannot list resource "nodes" in API group "" at the cluster scope; the kubeconfig user needs RBAC permission to list nodes\n$/,
    );
  });

  it('connection refused names the server URL (CLI)', async () => {
    const url = `https://127.0.0.1:${await freePort()}`;
    const kc = kubeconfigWith(url, '{token: t}');
    const r = await vk(['taint-nodes', '--kubeconfig', kc]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^error: cannot connect to the Kubernetes API server at ${url}: connection refused; `),
    );
  });

  it('unknown --context lists the contexts (CLI, exit 2)', async () => {
    const r = await vk(['taint-nodes', '--kubeconfig', box.kubeconfig, '--context', 'prod']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^error: context "prod" not found in kubeconfig .* \(contexts: box-admin@box\); pick one with --context\n$/,
    );
  });

  it('404, 409 and 422 from the library', async () => {
    const kube = await connect();
    const nf = await errorOf(kube.get({ apiVersion: 'v1', kind: 'Node', name: 'w-3' }));
    expect(nf?.message).toBe('nodes "w-3" not found');
    const exists = await errorOf(kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }));
    expect(exists?.message).toBe('namespaces "default" already exists');
    const dup = { key: 'a', value: 'b', effect: 'NoSchedule' };
    const invalid = await errorOf(
      kube.patch({ apiVersion: 'v1', kind: 'Node', name: 'k8s-node-0001' }, { spec: { taints: [dup, dup] } }, 'merge'),
    );
    // The real apiserver's own words (it names the path metadata.taints and says it twice).
    expect(invalid?.message).toMatch(
      /^Node "k8s-node-0001" is invalid: metadata\.taints\[1\]: Duplicate value: .*taints must be unique by key and effect pair/,
    );
    expect(invalid?.message).not.toContain('\n');
    expect(await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'nope' })).toBe(false);
    expect((await kube.version()).gitVersion).toMatch(/^v1\.\d+/);
  });
});

describe('server-side apply', () => {
  it('reports created, then unchanged, then configured; dry-run stores nothing', async () => {
    const kube = await connect();
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
    expect((await box.store.get('ConfigMap', 'cfg', 'kube-system'))?.data).toEqual({ k: '1' });
    expect((await kube.apply([cm('2')])).map((r) => r.action)).toEqual(['configured']);
    expect((await box.store.get('ConfigMap', 'cfg', 'kube-system'))?.data).toEqual({ k: '2' });
  });
});

const daemonSet = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name, namespace: 'kube-system' },
  spec: {
    selector: { matchLabels: { 'k8s-app': name } },
    template: {
      metadata: { labels: { 'k8s-app': name, ...labels } },
      spec: {
        containers: [{ name: 'ccm', image: `registry.example/${name}:1` }],
        tolerations: [{ operator: 'Exists' }],
      },
    },
  },
});

describe('waiters', () => {
  it('a DaemonSet rollout times out naming the pods still missing and their reasons', async () => {
    // kwok's image-pull stage: every pod of this DaemonSet fails as a missing image does.
    await box.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify(daemonSet('broken-ccm', { 'box.vk.test/fail': 'image-pull' })),
    });
    const kube = await connect();
    const started = Date.now();
    const err = await errorOf(
      kube.wait.daemonSetRollout({ namespace: 'kube-system', name: 'broken-ccm' }, { timeoutMs: 4_000 }),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err?.message).toMatch(
      /^daemonset kube-system\/broken-ccm: 0 of 3 pods ready after 4s \(pod broken-ccm-\w{5}: container ccm: ErrImagePull: failed to pull and unpack image "registry.example\/broken-ccm:1": not found/,
    );
    await box.kubectl(['-n', 'kube-system', 'delete', 'daemonset', 'broken-ccm']);
  });

  it('a rollout that completes while watched returns at once', async () => {
    await box.kubectl(['apply', '-f', '-'], { input: JSON.stringify(daemonSet('good-ccm')) });
    const kube = await connect();
    const started = Date.now();
    await kube.wait.daemonSetRollout({ namespace: 'kube-system', name: 'good-ccm' }, { timeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(20_000);
    const ds = await box.getJson('/apis/apps/v1/namespaces/kube-system/daemonsets/good-ccm');
    expect(ds.status.numberReady).toBe(3);
    await box.kubectl(['-n', 'kube-system', 'delete', 'daemonset', 'good-ccm']);
  });

  it('PVC Bound, pod phase and deletion time out with what is missing', async () => {
    // The real PV controller cannot provision for a class that does not exist, and says so in an event.
    await box.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'data', namespace: 'default', finalizers: ['box.vk.test/hold'] },
        spec: {
          accessModes: ['ReadWriteOnce'],
          storageClassName: 'no-such-class',
          resources: { requests: { storage: '1Gi' } },
        },
      }),
    });
    const kube = await connect();
    const pvc = await errorOf(kube.wait.pvcBound({ namespace: 'default', name: 'data' }, { timeoutMs: 3_000 }));
    expect(pvc?.message).toMatch(
      /^persistentvolumeclaim default\/data: still Pending, not Bound after 3s \(latest events: Warning ProvisioningFailed: storageclass\.storage\.k8s\.io "no-such-class" not found/,
    );
    const pod = await errorOf(
      kube.wait.podPhase({ namespace: 'default', name: 'writer' }, ['Succeeded'], { timeoutMs: 300 }),
    );
    expect(pod?.message).toBe('pod default/writer: not found after 300ms');
    // A finalizer holds the claim after its deletion, as a protection controller would.
    await box.kubectl(['delete', 'pvc', 'data', '--wait=false']);
    const gone = await errorOf(
      kube.wait.deleted(
        { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data' },
        { timeoutMs: 300 },
      ),
    );
    expect(gone?.message).toMatch(/^persistentvolumeclaim default\/data: still terminating after 300ms/);
    setTimeout(
      () => void box.kubectl(['patch', 'pvc', 'data', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']),
      200,
    );
    await kube.wait.deleted(
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data' },
      { timeoutMs: 10_000 },
    );
  });
});
