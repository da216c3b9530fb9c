// `npm run cluster`: builds what is missing, starts the box (vcsim and a real
// Kubernetes control plane with kwok nodes) on random 127.0.0.1 ports, prints
// the exports to point vk, kubectl and govc at it, and stops everything on
// Ctrl-C.
import { startBox, type Box } from '../test/box/cluster.js';

let box: Box | undefined;
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  process.stderr.write('\ncluster: stopping…\n');
  await box?.stop().catch(() => undefined);
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  const t = Date.now();
  process.stderr.write(
    'cluster: starting vcsim, etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok…\n',
  );
  box = await startBox();
  const vc = box.vcsim!;
  const version = (await box.getJson<{ gitVersion: string }>('/version')).gitVersion;
  process.stderr.write(
    `cluster: Kubernetes ${version} with ${box.nodes.length} nodes and vCenter ${vc.url} up in ${((Date.now() - t) / 1000).toFixed(1)} s\n` +
      '# paste into another shell:\n',
  );
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  process.stdout.write(
    [
      `export KUBECONFIG=${q(box.kubeconfig)}`,
      `export GOVC_URL=${q(vc.url)}`,
      `export GOVC_USERNAME=${q(vc.username)}`,
      `export GOVC_PASSWORD=${q(vc.password)}`,
      ...(vc.caFile ? [`export GOVC_TLS_CA_CERTS=${q(vc.caFile)}`] : []),
      '',
    ].join('\n'),
  );
  process.stderr.write('cluster: Ctrl-C stops everything.\n');
  await new Promise(() => undefined);
} catch (err) {
  process.stderr.write(`cluster: ${(err as Error).message}\n`);
  await stop(1);
}
