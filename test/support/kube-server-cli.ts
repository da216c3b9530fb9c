// `npm run kube-server`: the test Kubernetes API server as a standalone
// process, with nodes named like the vcsim demo VMs and every controller on.
// Prints `export KUBECONFIG=…` and runs until Ctrl-C.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startKubeServer } from './kube-server/index.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    'control-plane': { type: 'string', default: '1' },
    port: { type: 'string', default: '0' },
    version: { type: 'string', default: 'v1.31.4' },
    token: { type: 'string' },
    'node-prefix': { type: 'string', default: 'k8s-node-' },
    uuids: { type: 'string' },
    'plain-http': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    'usage: npm run kube-server -- [--nodes N] [--control-plane N] [--port P] [--version v1.31.4] [--token T (default random)] [--node-prefix k8s-node-]\n' +
      '  [--plain-http] [--uuids FILE]  JSON {"node name": "VM UUID"} the simulated CCM uses; default a random UUID per node\n',
  );
  process.exit(0);
}

const count = Number(values.nodes);
const uuids: Record<string, string> | string[] = values.uuids
  ? (JSON.parse(readFileSync(values.uuids, 'utf8')) as Record<string, string>)
  : Array.from({ length: count }, () => randomUUID());

const server = await startKubeServer({
  port: Number(values.port),
  tls: !values['plain-http'],
  gitVersion: values.version,
  token: values.token ?? randomUUID(),
  nodes: count,
  nodeOptions: {
    uuids,
    namePrefix: values['node-prefix'],
    controlPlane: Number(values['control-plane']),
    taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }],
  },
});

process.stdout.write(`export KUBECONFIG=${server.kubeconfigPath}\n`);
process.stderr.write(`kube test server ${values.version} listening on ${server.url} (Ctrl-C to stop)\n`);

const shutdown = (): void => {
  void server.stop().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
