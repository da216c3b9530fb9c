// `vk taint-nodes` end to end: the built CLI against the in-memory kube API
// server; node state is read back through the server's store, not from vk.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runVk, type VkResult } from './support/run-vk.js';
import { startKubeServer, type KubeObject, type KubeServer } from './support/kube-server/index.js';

const ROOT = join(import.meta.dirname, '..');
const TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';
const home = mkdtempSync(join(tmpdir(), 'vk-taint-home-'));

function vk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<VkResult> {
  return runVk(args, { HOME: home, XDG_CONFIG_HOME: home, NO_COLOR: '1', ...env });
}

type Taint = { key: string; value?: string; effect: string };
const taintsOf = (s: KubeServer, name: string): Taint[] =>
  ((s.store.get('Node', name)?.spec as { taints?: Taint[] } | undefined)?.taints ?? []).map(
    ({ key, value, effect }) => ({
      key,
      ...(value === undefined ? {} : { value }),
      effect,
    }),
  );
const hasTaint = (s: KubeServer, name: string) => taintsOf(s, name).some((t) => t.key === TAINT);
const uninit = { key: TAINT, value: 'true', effect: 'NoSchedule' };

let server: KubeServer;
let extra: Array<() => Promise<void>> = [];

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/commands/taint-nodes.js'))) throw new Error('run `npm run build` first');
});

afterEach(async () => {
  await server?.stop();
  for (const stop of extra) await stop();
  extra = [];
});

describe('vk taint-nodes', () => {
  it('taints every node once, keeps other taints, and reports nodes that already had it', async () => {
    server = await startKubeServer({ nodes: 5, nodeOptions: { controlPlane: 1 } });
    server.store.put({ ...server.store.get('Node', 'k8s-node-0003')!, spec: { taints: [uninit] } } as KubeObject);
    const r = await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath]);
    expect(r.stderr).toContain('5 nodes: 4 tainted, 1 already tainted');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NODE\s+ACTION\s+TAINTS\n/);
    expect(r.stdout).toMatch(/k8s-node-0003\s+already tainted/);
    for (let i = 1; i <= 5; i++)
      expect(taintsOf(server, `k8s-node-000${i}`).filter((t) => t.key === TAINT)).toEqual([uninit]);
    expect(taintsOf(server, 'k8s-node-0001')).toEqual([
      { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
      uninit,
    ]);

    const rv = server.store.resourceVersion;
    const again = await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath, '-o', 'json']);
    expect(again.code).toBe(0);
    const doc = JSON.parse(again.stdout);
    expect(doc.nodes.map((n: { action: string }) => n.action)).toEqual(Array(5).fill('already tainted'));
    expect(server.store.resourceVersion).toBe(rv); // nothing written
  });

  it('named nodes only; an unknown name fails before anything changes', async () => {
    server = await startKubeServer({ nodes: 3 });
    const bad = await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath, 'k8s-node-0001', 'w-3']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: nodes "w-3" not found; /m);
    expect(hasTaint(server, 'k8s-node-0001')).toBe(false);

    const ok = await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath, 'k8s-node-0002']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('1 node: 1 tainted');
    expect([1, 2, 3].map((i) => hasTaint(server, `k8s-node-000${i}`))).toEqual([false, true, false]);
  });

  it('--selector picks nodes by label; names with a selector is a usage error', async () => {
    server = await startKubeServer({ nodes: 4, nodeOptions: { controlPlane: 1 } });
    const r = await vk([
      'taint-nodes',
      '--kubeconfig',
      server.kubeconfigPath,
      '-l',
      '!node-role.kubernetes.io/control-plane',
    ]);
    expect(r.code).toBe(0);
    expect([1, 2, 3, 4].map((i) => hasTaint(server, `k8s-node-000${i}`))).toEqual([false, true, true, true]);
    const both = await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath, '-l', 'a=b', 'k8s-node-0001']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/node names and --selector cannot be combined/);
  });

  it('--dry-run shows what would change and changes nothing', async () => {
    server = await startKubeServer({ nodes: 3 });
    const rv = server.store.resourceVersion;
    const r = await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/k8s-node-0001\s+tainted \(dry run\)/);
    expect(r.stderr).toContain('3 nodes: 3 would be tainted (dry run, nothing changed)');
    expect(server.store.resourceVersion).toBe(rv);
    expect(hasTaint(server, 'k8s-node-0001')).toBe(false);
  });

  it('--remove takes only the uninitialized taint off', async () => {
    const other = { key: 'example.com/gpu', value: 'yes', effect: 'NoExecute' };
    server = await startKubeServer({ nodes: 3, nodeOptions: { taints: [other as never] } });
    await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath, 'k8s-node-0001', 'k8s-node-0002']);
    const r = await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath, '--remove']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('3 nodes: 2 untainted, 1 not tainted');
    for (let i = 1; i <= 3; i++) expect(taintsOf(server, `k8s-node-000${i}`)).toEqual([other]);
  });

  it('--list shows providerID and taints as a table and as JSON', async () => {
    server = await startKubeServer({ nodes: 2, nodeOptions: { controlPlane: 1 } });
    const n2 = server.store.get('Node', 'k8s-node-0002')!;
    server.store.put({ ...n2, spec: { ...(n2.spec as object), providerID: 'vsphere://4210abcd-1111' } } as KubeObject);
    const r = await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath, '--list']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      expect.stringMatching(/^NAME\s+PROVIDER-ID\s+TAINTS$/),
      expect.stringMatching(/^k8s-node-0001\s+-\s+node-role.kubernetes.io\/control-plane:NoSchedule$/),
      expect.stringMatching(/^k8s-node-0002\s+vsphere:\/\/4210abcd-1111\s+-$/),
      '',
    ]);
    const json = JSON.parse(
      (await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath, '--list', '-o', 'json'])).stdout,
    );
    expect(json[1]).toEqual({ name: 'k8s-node-0002', providerID: 'vsphere://4210abcd-1111', taints: [] });
  });

  it('retries a node that changed between read and write, keeping the concurrent change', async () => {
    server = await startKubeServer({ nodes: 2 });
    // A proxy that, on vk's first write to node 0002, lets someone else modify that node first.
    const seen: number[] = [];
    let raced = false;
    const target = new URL(server.url);
    const proxy = http.createServer((req, res) => {
      const racing = req.method === 'PATCH' && req.url?.startsWith('/api/v1/nodes/k8s-node-0002');
      if (racing && !raced) {
        raced = true;
        const n = server.store.get('Node', 'k8s-node-0002')!;
        const spec = n.spec as { taints?: Taint[] };
        server.store.put({
          ...n,
          spec: { ...spec, taints: [...(spec.taints ?? []), { key: 'example.com/maintenance', effect: 'NoExecute' }] },
        } as KubeObject);
      }
      const up = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (upRes) => {
          if (racing) seen.push(upRes.statusCode ?? 0);
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    extra.push(
      () =>
        new Promise((r) => {
          proxy.closeAllConnections();
          proxy.close(() => r());
        }),
    );
    const kc = join(mkdtempSync(join(tmpdir(), 'vk-proxy-')), 'kubeconfig');
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    writeFileSync(
      kc,
      `apiVersion: v1\nkind: Config\nclusters: [{name: p, cluster: {server: "${url}"}}]\nusers: [{name: p, user: {}}]\ncontexts: [{name: p, context: {cluster: p, user: p}}]\ncurrent-context: p\n`,
    );

    const r = await vk(['taint-nodes', '--kubeconfig', kc, '--debug']);
    expect(r.code).toBe(0);
    expect(seen).toEqual([409, 200]);
    expect(r.stderr).toContain('node k8s-node-0002 changed while being written');
    expect(taintsOf(server, 'k8s-node-0002')).toEqual([
      { key: 'example.com/maintenance', effect: 'NoExecute' },
      uninit,
    ]);
    expect(r.stderr).toContain('2 nodes: 2 tainted');
  });

  it('a write the server forbids is reported per node, exit 1', async () => {
    server = await startKubeServer({ nodes: 2, forbid: [{ verb: 'patch', resource: 'nodes', name: 'k8s-node-0002' }] });
    const r = await vk(['taint-nodes', '--kubeconfig', server.kubeconfigPath]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/k8s-node-0002\s+failed\s+nodes "k8s-node-0002" is forbidden/);
    expect(r.stderr).toContain('2 nodes: 1 tainted, 1 failed');
    expect(hasTaint(server, 'k8s-node-0001')).toBe(true);
  });
});
