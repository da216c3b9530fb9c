// kubectl (the real one, version-matched to the server by /usr/bin/kubectl)
// works against the test API server: get, taint, untaint, jsonpath, watch.
// The resulting state is read back from the server's store, not from kubectl.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeServer, type KubeServer } from './support/kube-server/index.js';

const run = promisify(execFile);
let server: KubeServer;

async function kubectl(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('/usr/bin/kubectl', ['--kubeconfig', server.kubeconfigPath, ...args], {
      env: { ...process.env, KUBECONFIG: '', HOME: process.env.HOME ?? '/tmp' },
      timeout: 30_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number };
    return { stdout: err.stdout, stderr: err.stderr, code: err.code };
  }
}

interface Taint {
  key: string;
  value?: string;
  effect: string;
}
const taintsOf = (name: string): Taint[] =>
  ((server.store.get('Node', name)?.spec as { taints?: Taint[] } | undefined)?.taints ?? []).map(
    ({ key, value, effect }) => ({ key, ...(value ? { value } : {}), effect }),
  );

beforeAll(async () => {
  // HTTPS with a token: client-go sends credentials only over TLS, so this proves the kubeconfig's CA and user work.
  server = await startKubeServer({
    tls: true,
    token: 'kubectl-token',
    user: 'ci-admin',
    nodes: 3,
    nodeOptions: { controlPlane: 1 },
  });
});
afterAll(() => server.stop());

describe('kubectl against the test server', () => {
  it('gets nodes as a table', async () => {
    const r = await kubectl('get', 'nodes');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      'k8s-node-0001 Ready control-plane',
      'k8s-node-0002 Ready <none>',
      'k8s-node-0003 Ready <none>',
    ]);
  });

  it('gets nodes as JSON', async () => {
    const r = await kubectl('get', 'nodes', '-o', 'json');
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(3);
    expect(list.items[0]).toMatchObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'k8s-node-0001' } });
  });

  it('taints a node and the taint is stored with the others', async () => {
    const r = await kubectl('taint', 'nodes', 'k8s-node-0002', 'example.com/role=storage:NoSchedule');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('node/k8s-node-0002 tainted');
    expect(taintsOf('k8s-node-0002')).toEqual([{ key: 'example.com/role', value: 'storage', effect: 'NoSchedule' }]);
    const cp = await kubectl('taint', 'nodes', 'k8s-node-0001', 'example.com/role=storage:NoSchedule');
    expect(cp.code).toBe(0);
    // kubectl puts the new taint first.
    expect(taintsOf('k8s-node-0001')).toEqual([
      { key: 'example.com/role', value: 'storage', effect: 'NoSchedule' },
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
    ]);
  });

  it('refuses to add the same taint twice', async () => {
    const r = await kubectl('taint', 'nodes', 'k8s-node-0002', 'example.com/role=storage:NoSchedule');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('already has example.com/role taint(s) with same effect(s)');
    expect(taintsOf('k8s-node-0002')).toHaveLength(1);
  });

  it('untaints a node by key', async () => {
    const r = await kubectl('taint', 'nodes', 'k8s-node-0002', 'example.com/role-');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('node/k8s-node-0002 untainted');
    expect(taintsOf('k8s-node-0002')).toEqual([]);
    expect(taintsOf('k8s-node-0001')).toHaveLength(2);
  });

  it('reads taints with jsonpath', async () => {
    const r = await kubectl(
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}:{.spec.taints[*].key}{"\\n"}{end}',
    );
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'k8s-node-0001:example.com/role node-role.kubernetes.io/control-plane',
      'k8s-node-0002:',
      'k8s-node-0003:',
    ]);
  });

  it('shows a not-found error as the real server makes kubectl print it', async () => {
    const r = await kubectl('get', 'node', 'ghost');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Error from server (NotFound): nodes "ghost" not found');
  });

  it('prints the RBAC message for a forbidden taint', async () => {
    server.forbid.push({ verb: 'patch', resource: 'nodes', name: 'k8s-node-0003' });
    try {
      const r = await kubectl('taint', 'nodes', 'k8s-node-0003', 'a=b:NoSchedule');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(
        'nodes "k8s-node-0003" is forbidden: User "ci-admin" cannot patch resource "nodes" in API group "" at the cluster scope',
      );
      expect(taintsOf('k8s-node-0003')).toEqual([]);
    } finally {
      server.forbid.length = 0;
    }
  });

  it('watches nodes and sees changes made meanwhile', async () => {
    let finished = false;
    const watching = kubectl(
      'get',
      'nodes',
      '--watch',
      '--output-watch-events',
      '--request-timeout=4s',
      '-o',
      'json',
    ).finally(() => (finished = true));
    // kubectl's start-up time varies with load: keep changing the node until the watch ends.
    for (let i = 0; !finished; i++) {
      const node = server.store.get('Node', 'k8s-node-0003')!;
      server.store.put({
        ...node,
        metadata: { ...node.metadata, labels: { ...node.metadata.labels, watched: String(i) } },
      });
      await new Promise((r) => setTimeout(r, 250));
    }
    const r = await watching;
    // Pretty-printed events, one JSON document after another.
    const events = r.stdout
      .split(/\n(?=\{)/)
      .map(
        (doc) =>
          JSON.parse(doc) as { type: string; object: { metadata: { name: string; labels: Record<string, string> } } },
      );
    expect(events.slice(0, 3).map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'ADDED k8s-node-0001',
      'ADDED k8s-node-0002',
      'ADDED k8s-node-0003',
    ]);
    const changes = events.slice(3);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((e) => e.type === 'MODIFIED' && e.object.metadata.name === 'k8s-node-0003')).toBe(true);
    const seen = changes.map((e) => Number(e.object.metadata.labels.watched));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('applies manifests server-side and client-side, and rollout status sees the workload ready', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vk-kubectl-'));
    const manifest = join(dir, 'app.yaml');
    writeFileSync(
      manifest,
      [
        'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: demo\ndata:\n  a: "1"\n',
        'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\n  namespace: demo\nspec:\n  selector:\n    matchLabels: {app: agent}\n  template:\n    metadata:\n      labels: {app: agent}\n    spec:\n      containers: [{name: agent, image: "registry.example.com/agent:v1"}]\n',
      ].join('---\n'),
    );
    const ssa = await kubectl('apply', '--server-side', '-f', manifest);
    expect(ssa.stderr).toBe('');
    expect(ssa.stdout.trim().split('\n')).toEqual([
      'namespace/demo serverside-applied',
      'configmap/cfg serverside-applied',
      'daemonset.apps/agent serverside-applied',
    ]);
    expect(server.store.get('ConfigMap', 'cfg', 'demo')?.metadata.managedFields?.[0]).toMatchObject({
      manager: 'kubectl',
      operation: 'Apply',
    });
    const rollout = await kubectl('rollout', 'status', '-n', 'demo', 'ds/agent', '--timeout=10s');
    expect(rollout.stdout).toContain('daemon set "agent" successfully rolled out');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('a: "1"', 'a: "2"'));
    const csa = await kubectl('apply', '-f', manifest);
    expect(csa.code).toBe(0);
    expect(csa.stdout).toContain('configmap/cfg configured');
    expect((server.store.get('ConfigMap', 'cfg', 'demo') as { data?: Record<string, string> }).data).toEqual({
      a: '2',
    });
  });

  it.each(['v1.27.16', 'v1.33.1'])('works with the kubectl matching a %s server', async (version) => {
    server.setVersion(version);
    try {
      const v = await kubectl('version', '-o', 'json');
      const versions = JSON.parse(v.stdout);
      expect(versions.serverVersion.gitVersion).toBe(version);
      expect(versions.clientVersion.minor).toBe(version.split('.')[1]);
      expect(
        (await kubectl('taint', 'nodes', 'k8s-node-0003', `v=${version.replace(/\./g, '-')}:PreferNoSchedule`)).code,
      ).toBe(0);
      expect(taintsOf('k8s-node-0003')).toEqual([
        { key: 'v', value: version.replace(/\./g, '-'), effect: 'PreferNoSchedule' },
      ]);
      expect((await kubectl('taint', 'nodes', 'k8s-node-0003', 'v-')).code).toBe(0);
      expect((await kubectl('get', 'nodes')).stdout).toContain('k8s-node-0003');
    } finally {
      server.setVersion('v1.31.4');
    }
  });
});

describe('npm run kube-server', () => {
  it('starts a server with uninitialized nodes, prints the KUBECONFIG line, and stops on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/kube-server-cli.ts', '--nodes', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^export KUBECONFIG=(.+)$/m.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', () => reject(new Error(`kube-server exited early: ${out}`)));
    });
    try {
      const { stdout } = await run('/usr/bin/kubectl', [
        '--kubeconfig',
        line,
        'get',
        'nodes',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name} {.spec.taints[*].key}{"\\n"}{end}',
      ]);
      expect(stdout.trim().split('\n')).toEqual([
        'k8s-node-0001 node-role.kubernetes.io/control-plane node.cloudprovider.kubernetes.io/uninitialized',
        'k8s-node-0002 node.cloudprovider.kubernetes.io/uninitialized',
      ]);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });
});
