// bench/taint-nodes: 1000 nodes on the box's real kube-apiserver (kwok keeps
// them Ready and heartbeating); times `vk taint-nodes` (the whole process,
// startup included) against the seed's way — one `kubectl taint nodes`
// process per node, in sequence like a shell loop — and prints both, their
// ratio and the machine's load average while it ran. Goal: vk at least 20x
// faster.
//
//   npm run build && npx tsx bench/taint-nodes.ts [--nodes 1000] [--kubectl-sample 100]
//
// --kubectl-sample N runs kubectl on N nodes and extrapolates to all of them
// (said so in the output); 0 runs kubectl on every node. kubectl is the
// box's own, of the same release as the apiserver.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startBox, type NodeSpec } from '../test/box/cluster.js';

const run = promisify(execFile);

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '1000' }, 'kubectl-sample': { type: 'string', default: '100' } },
});
const total = Number(values.nodes);
const sample = Number(values['kubectl-sample']) || total;
const ROOT = join(import.meta.dirname, '..');
const KEY = 'node.cloudprovider.kubernetes.io/uninitialized';
if (!existsSync(join(ROOT, 'dist/commands/taint-nodes.js'))) throw new Error('run `npm run build` first');

const home = mkdtempSync(join(tmpdir(), 'vk-bench-home-'));
const env = { PATH: process.env.PATH, HOME: home, NO_COLOR: '1' };

// Nodes as kubelet registers them without --cloud-provider=external: no taint yet.
const box = await startBox({ noVcsim: true, withoutCloudProviderTaint: true });
type Node = { metadata: { name: string }; spec: { taints?: Array<{ key: string }> } };
const tainted = async () =>
  (await box.store.list<Node>('Node')).filter((n) => (n.spec.taints ?? []).some((t) => t.key === KEY)).length;

/** Runs `fn` over `items`, `width` at a time. */
async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

try {
  const names = Array.from({ length: total }, (_, i) => `k8s-node-${String(i + 1).padStart(4, '0')}`);
  // Registered in batches, so each batch's wait for Ready stays short.
  for (let i = 0; i < total; i += 100) {
    await box.addNodes(names.slice(i, i + 100).map((name): NodeSpec => ({ name })));
  }
  const load = [loadavg()[0]!];

  let t = performance.now();
  const out = await run(process.execPath, [join(ROOT, 'bin/run.js'), 'taint-nodes', '--kubeconfig', box.kubeconfig], {
    env,
    maxBuffer: 64 << 20,
  });
  const vkSeconds = (performance.now() - t) / 1000;
  load.push(loadavg()[0]!);
  const byVk = await tainted();
  if (byVk !== total) throw new Error(`vk tainted ${byVk} of ${total} nodes`);

  await inParallel(names, 16, async (name) => {
    const r = await box.api(
      'PATCH',
      `/api/v1/nodes/${name}`,
      { spec: { taints: null } },
      'application/merge-patch+json',
    );
    if (r.status !== 200) throw new Error(`resetting ${name}: ${r.status}`);
  });
  if ((await tainted()) !== 0) throw new Error('reset failed');

  const kubectlNodes = names.slice(0, sample);
  t = performance.now();
  for (const name of kubectlNodes) await box.kubectl(['taint', 'nodes', name, `${KEY}=true:NoSchedule`]);
  const sampleSeconds = (performance.now() - t) / 1000;
  load.push(loadavg()[0]!);
  if ((await tainted()) !== kubectlNodes.length) throw new Error('kubectl did not taint every sampled node');
  const kubectlSeconds = (sampleSeconds * total) / kubectlNodes.length;

  const f = (s: number) => s.toFixed(2);
  console.log(`nodes:              ${total} on kube-apiserver (the box), kwok heartbeating`);
  console.log(`vk summary:         ${out.stderr.trim()}`);
  console.log(`vk taint-nodes:     ${f(vkSeconds)} s`);
  console.log(
    kubectlNodes.length === total
      ? `kubectl taint loop: ${f(kubectlSeconds)} s`
      : `kubectl taint loop: ${f(kubectlSeconds)} s (extrapolated from ${kubectlNodes.length} nodes in ${f(sampleSeconds)} s)`,
  );
  const ratio = kubectlSeconds / vkSeconds;
  console.log(`ratio:              ${ratio.toFixed(1)}x faster (goal >= 20x: ${ratio >= 20 ? 'met' : 'NOT met'})`);
  console.log(`load (1 min):       ${load.map((l) => l.toFixed(1)).join(' → ')} (before, after vk, after kubectl)`);
} finally {
  await box.stop();
}
