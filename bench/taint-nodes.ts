// bench/taint-nodes: 1000 nodes on the kube test server; times `vk taint-nodes`
// (the whole process, startup included) against the seed's way — one
// `kubectl taint nodes` process per node, in sequence like a shell loop —
// and prints both and their ratio. Goal: vk at least 20x faster.
//
//   npm run build && npx tsx bench/taint-nodes.ts [--nodes 1000] [--kubectl-sample 100]
//
// --kubectl-sample N runs kubectl on N nodes and extrapolates to all of them
// (said so in the output); 0 runs kubectl on every node.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// Async: the test server runs in this process and must keep answering.
const run = promisify(execFile);
import { startKubeServer, type KubeObject, type KubeServer } from '../test/support/kube-server/index.js';

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
const tainted = (s: KubeServer) =>
  s.store
    .list('Node')
    .filter((n) => ((n.spec as { taints?: Array<{ key: string }> }).taints ?? []).some((t) => t.key === KEY));

const server = await startKubeServer({ nodes: total });
try {
  const names = server.store.list('Node').map((n) => n.metadata.name);

  let t = performance.now();
  const out = await run(
    process.execPath,
    [join(ROOT, 'bin/run.js'), 'taint-nodes', '--kubeconfig', server.kubeconfigPath],
    {
      env,
      maxBuffer: 64 << 20,
    },
  );
  const vkSeconds = (performance.now() - t) / 1000;
  if (tainted(server).length !== total) throw new Error(`vk tainted ${tainted(server).length} of ${total} nodes`);

  for (const n of server.store.list('Node')) {
    const spec = n.spec as { taints?: Array<{ key: string }> };
    server.store.put({
      ...n,
      spec: { ...spec, taints: (spec.taints ?? []).filter((x) => x.key !== KEY) },
    } as KubeObject);
  }
  if (tainted(server).length !== 0) throw new Error('reset failed');

  const kubectlNodes = names.slice(0, sample);
  t = performance.now();
  for (const name of kubectlNodes) {
    await run('kubectl', ['--kubeconfig', server.kubeconfigPath, 'taint', 'nodes', name, `${KEY}=true:NoSchedule`], {
      env,
    });
  }
  const sampleSeconds = (performance.now() - t) / 1000;
  if (tainted(server).length !== kubectlNodes.length) throw new Error('kubectl did not taint every sampled node');
  const kubectlSeconds = (sampleSeconds * total) / kubectlNodes.length;

  const f = (s: number) => s.toFixed(2);
  console.log(`nodes:              ${total}`);
  console.log(`vk summary:         ${out.stderr.trim()}`);
  console.log(`vk taint-nodes:     ${f(vkSeconds)} s`);
  console.log(
    kubectlNodes.length === total
      ? `kubectl taint loop: ${f(kubectlSeconds)} s`
      : `kubectl taint loop: ${f(kubectlSeconds)} s (extrapolated from ${kubectlNodes.length} nodes in ${f(sampleSeconds)} s)`,
  );
  const ratio = kubectlSeconds / vkSeconds;
  console.log(`ratio:              ${ratio.toFixed(1)}x faster (goal >= 20x: ${ratio >= 20 ? 'met' : 'NOT met'})`);
} finally {
  await server.stop();
}
