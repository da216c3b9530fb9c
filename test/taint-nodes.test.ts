// `vk taint-nodes` end to end: the built CLI against the box's real
// kube-apiserver; node state is read back through the API as admin, not
// through vk. Each test registers its own nodes.
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import type { NodeSpec } from './box/cluster.js';
import { useBox } from './support/box.js';
import { runVk, type VkResult } from './support/run-vk.js';

const TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';
const CONTROL_PLANE = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
const uninit = { key: TAINT, value: 'true', effect: 'NoSchedule' };
type Taint = { key: string; value?: string; effect: string };

// Nodes as kubelet registers them without --cloud-provider=external: no taint of the CPI's.
const box = useBox({ noVcsim: true, withoutCloudProviderTaint: true });

const names = (n: number) => Array.from({ length: n }, (_, i) => `k8s-node-${String(i + 1).padStart(4, '0')}`);
async function nodes(n: number, opts: { controlPlane?: number; taints?: Taint[] } = {}): Promise<void> {
  const specs: NodeSpec[] = names(n).map((name, i) => ({
    name,
    controlPlane: i < (opts.controlPlane ?? 0),
    taints: opts.taints,
  }));
  await box.setNodes(specs);
}

async function taintsOf(name: string): Promise<Taint[]> {
  const n = await box.store.get<{ metadata: { name: string }; spec: { taints?: Taint[] } }>('Node', name);
  return (n?.spec.taints ?? []).map(({ key, value, effect }) => ({
    key,
    ...(value === undefined ? {} : { value }),
    effect,
  }));
}
const hasTaint = async (name: string) => (await taintsOf(name)).some((t) => t.key === TAINT);
/**
 * Node resourceVersions change with kwok's heartbeats; compare the specs instead,
 * without the taints the node lifecycle controller adds and removes on its own
 * (node.kubernetes.io/not-ready while a new node's Ready condition settles).
 */
const nodeSpecs = async () =>
  JSON.stringify(
    (await box.store.list<{ metadata: { name: string }; spec: { taints?: Taint[] } }>('Node')).map((n) => {
      const taints = (n.spec.taints ?? []).filter((t) => !t.key.startsWith('node.kubernetes.io/'));
      return [n.metadata.name, { ...n.spec, taints }];
    }),
  );

async function setSpec(name: string, patch: object): Promise<void> {
  const r = await box.api('PATCH', `/api/v1/nodes/${name}`, { spec: patch }, 'application/merge-patch+json');
  expect(r.status).toBe(200);
}

const vk = (args: string[]) => runVk(['taint-nodes', ...args], { KUBECONFIG: box.kubeconfig, NO_COLOR: '1' });

describe('vk taint-nodes', () => {
  it('taints every node once, keeps other taints, and reports nodes that already had it', async () => {
    await nodes(5, { controlPlane: 1 });
    await setSpec('k8s-node-0003', { taints: [uninit] });
    const r = await vk([]);
    expect(r.stderr).toContain('5 nodes: 4 tainted, 1 already tainted');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NODE\s+ACTION\s+TAINTS\n/);
    expect(r.stdout).toMatch(/k8s-node-0003\s+already tainted/);
    for (const n of names(5)) expect((await taintsOf(n)).filter((t) => t.key === TAINT)).toEqual([uninit]);
    expect(await taintsOf('k8s-node-0001')).toEqual([CONTROL_PLANE, uninit]);

    const before = await nodeSpecs();
    const again = await vk(['-o', 'json']);
    expect(again.code).toBe(0);
    const doc = JSON.parse(again.stdout);
    expect(doc.nodes.map((n: { action: string }) => n.action)).toEqual(Array(5).fill('already tainted'));
    expect(await nodeSpecs()).toBe(before); // nothing written
  });

  it('named nodes only; an unknown name fails before anything changes', async () => {
    await nodes(3);
    const bad = await vk(['k8s-node-0001', 'w-3']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: nodes "w-3" not found; /m);
    expect(await hasTaint('k8s-node-0001')).toBe(false);

    const ok = await vk(['k8s-node-0002']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('1 node: 1 tainted');
    expect(await Promise.all(names(3).map(hasTaint))).toEqual([false, true, false]);
  });

  it('--selector picks nodes by label; names with a selector is a usage error', async () => {
    await nodes(4, { controlPlane: 1 });
    const r = await vk(['-l', '!node-role.kubernetes.io/control-plane']);
    expect(r.code).toBe(0);
    expect(await Promise.all(names(4).map(hasTaint))).toEqual([false, true, true, true]);
    const both = await vk(['-l', 'a=b', 'k8s-node-0001']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/node names and --selector cannot be combined/);
  });

  it('--dry-run shows what would change and changes nothing', async () => {
    await nodes(3);
    const before = await nodeSpecs();
    const r = await vk(['--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/k8s-node-0001\s+tainted \(dry run\)/);
    expect(r.stderr).toContain('3 nodes: 3 would be tainted (dry run, nothing changed)');
    expect(await nodeSpecs()).toBe(before);
  });

  it('--remove takes only the uninitialized taint off', async () => {
    const other = { key: 'example.com/gpu', value: 'yes', effect: 'NoExecute' };
    await nodes(3, { taints: [other] });
    await vk(['k8s-node-0001', 'k8s-node-0002']);
    const r = await vk(['--remove']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('3 nodes: 2 untainted, 1 not tainted');
    for (const n of names(3)) expect(await taintsOf(n)).toEqual([other]);
  });

  it('--list shows providerID and taints as a table and as JSON', async () => {
    await nodes(2, { controlPlane: 1 });
    await setSpec('k8s-node-0002', { providerID: 'vsphere://4210abcd-1111' });
    const r = await vk(['--list']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      expect.stringMatching(/^NAME\s+PROVIDER-ID\s+TAINTS$/),
      expect.stringMatching(/^k8s-node-0001\s+-\s+node-role.kubernetes.io\/control-plane:NoSchedule$/),
      expect.stringMatching(/^k8s-node-0002\s+vsphere:\/\/4210abcd-1111\s+-$/),
      '',
    ]);
    const json = JSON.parse((await vk(['--list', '-o', 'json'])).stdout);
    expect(json[1]).toEqual({ name: 'k8s-node-0002', providerID: 'vsphere://4210abcd-1111', taints: [] });
  });

  /**
   * Runs vk taint-nodes --debug through a TLS proxy in front of the apiserver
   * that, on vk's first write to node 0002, lets `race` modify that node first;
   * returns vk's result and the apiserver's status codes for vk's writes to it.
   */
  async function taintWithRace(race: () => Promise<void>): Promise<{ r: VkResult; seen: number[] }> {
    const seen: number[] = [];
    let raced = false;
    const upstream = new Agent({
      connect: { ca: box.caPem, cert: readFileSync(box.tls.adminCert), key: readFileSync(box.tls.adminKey) },
    });
    const proxy = createServer(
      { cert: readFileSync(box.tls.serverCert), key: readFileSync(box.tls.serverKey) },
      (req: IncomingMessage, res: ServerResponse) => {
        void (async () => {
          const racing = req.method === 'PATCH' && req.url?.startsWith('/api/v1/nodes/k8s-node-0002');
          if (racing && !raced) {
            raced = true;
            await race();
          }
          const chunks: Buffer[] = [];
          for await (const c of req) chunks.push(c as Buffer);
          const headers = { ...req.headers };
          delete headers.host;
          delete headers.connection;
          const up = await request(`${box.apiServerUrl}${req.url}`, {
            method: req.method as 'GET',
            headers,
            body: chunks.length ? Buffer.concat(chunks) : undefined,
            dispatcher: upstream,
          });
          if (racing) seen.push(up.statusCode);
          const out = Buffer.from(await up.body.arrayBuffer());
          const h = { ...up.headers };
          delete h['transfer-encoding'];
          delete h.connection;
          res.writeHead(up.statusCode, h);
          res.end(out);
        })().catch((err: Error) => {
          res.writeHead(502);
          res.end(err.message);
        });
      },
    );
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const kc = join(box.dir, 'proxy.kubeconfig');
      const url = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      // The proxy authenticates to the apiserver as admin; the client needs only to trust it.
      writeFileSync(kc, readFileSync(box.kubeconfig, 'utf8').replace(box.apiServerUrl, url));
      const r = await runVk(['taint-nodes', '--kubeconfig', kc, '--debug'], { NO_COLOR: '1' });
      return { r, seen };
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  }

  it('retries a node whose taints changed between read and write, keeping the concurrent change', async () => {
    await nodes(2);
    const { r, seen } = await taintWithRace(async () => {
      const n = (await box.store.get<{ metadata: { name: string }; spec: { taints?: Taint[] } }>(
        'Node',
        'k8s-node-0002',
      ))!;
      await setSpec('k8s-node-0002', {
        taints: [...(n.spec.taints ?? []), { key: 'example.com/maintenance', effect: 'NoExecute' }],
      });
    });
    expect(r.code, r.stderr).toBe(0);
    // The write's `test` of the taints it read fails: 422, re-read, written again.
    expect(seen).toEqual([422, 200]);
    expect(r.stderr).toContain('node k8s-node-0002 changed while being written');
    expect(await taintsOf('k8s-node-0002')).toEqual([{ key: 'example.com/maintenance', effect: 'NoExecute' }, uninit]);
    expect(r.stderr).toContain('2 nodes: 2 tainted');
  });

  it('writes a node once when only its status or labels changed between read and write (heartbeats)', async () => {
    await nodes(2);
    const { r, seen } = await taintWithRace(async () => {
      const p = await box.api(
        'PATCH',
        '/api/v1/nodes/k8s-node-0002',
        { metadata: { labels: { 'example.com/heartbeat': String(Date.now()) } } },
        'application/merge-patch+json',
      );
      expect(p.status).toBe(200);
    });
    expect(r.code).toBe(0);
    expect(seen).toEqual([200]);
    expect(r.stderr).not.toContain('changed while being written');
    expect(await taintsOf('k8s-node-0002')).toEqual([uninit]);
    expect(r.stderr).toContain('2 nodes: 2 tainted');
  });

  it('a write RBAC forbids is reported per node, exit 1', async () => {
    await nodes(2);
    // A real RBAC rule: this user may read every node but patch only k8s-node-0001.
    const user = 'taint-operator';
    await box.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name: 'taint-one-node' },
            rules: [
              { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
              { apiGroups: [''], resources: ['nodes'], resourceNames: ['k8s-node-0001'], verbs: ['patch', 'update'] },
            ],
          },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name: 'taint-one-node' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'taint-one-node' },
            subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
          },
        ],
      }),
    });
    const kc = await box.kubeconfigFor(user);
    const r = await runVk(['taint-nodes', '--kubeconfig', kc], { NO_COLOR: '1' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/k8s-node-0002\s+failed\s+nodes "k8s-node-0002" is forbidden/);
    expect(r.stderr).toContain('2 nodes: 1 tainted, 1 failed');
    expect(await hasTaint('k8s-node-0001')).toBe(true);
    expect(await hasTaint('k8s-node-0002')).toBe(false);
  });
});
