// `npm run demo`: starts the vCenter simulator and the Kubernetes test server,
// then runs vk against them the way a user would, showing exactly what a user
// sees. Every step that has landed in this build runs; both servers are
// stopped on exit (also on Ctrl-C). With --keep they stay up afterwards, with
// the exports to point vk at them, until Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startVcsim, type Vcsim } from '../test/support/vcsim.js';
import { startKubeServer, type KubeServer } from '../test/support/kube-server/index.js';
import { repoRoot } from '../test/support/go-build.js';
import { startManifestServer, type ManifestServer } from '../test/fixtures/manifests/server.js';
import { simulateCsiDriver, type CsiSim } from '../test/support/csi-sim.js';

const manifestPath = join(repoRoot, 'oclif.manifest.json');
if (!existsSync(manifestPath)) {
  process.stderr.write('demo: vk is not built; run `npm run build` first\n');
  process.exit(2);
}
const commands = new Set(
  Object.keys((JSON.parse(readFileSync(manifestPath, 'utf8')) as { commands: object }).commands),
);

let vcsim: Vcsim | undefined;
let kube: KubeServer | undefined;
let manifests: ManifestServer | undefined;
let csi: CsiSim | undefined;
const stopAll = async () => {
  await csi?.stop().catch(() => undefined);
  await Promise.allSettled([vcsim?.stop(), kube?.stop(), manifests?.close()]);
};
// --keep: after the run, leave everything up for trying vk by hand.
const keep = process.argv.includes('--keep');
let kept = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => void stopAll().then(() => process.exit(kept ? 0 : 130)));
}

function vk(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  process.stdout.write(`\n\u001b[1m$ vk ${args.map((a) => (/[\s"'$]/.test(a) ? `'${a}'` : a)).join(' ')}\u001b[0m\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), ...args], { env, stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

try {
  process.stderr.write('demo: starting the vCenter simulator and the Kubernetes test server…\n');
  vcsim = await startVcsim({ cluster: 1, host: 3, ds: 1, nfs: 1, folder: '/DC0/vm/k8s', folderVms: 3 });
  const vms = await vcsim.inspect('vms');
  const nodeVms = vms.filter((v) => v.path.startsWith('/DC0/vm/k8s/')).sort((a, b) => a.name.localeCompare(b.name));
  kube = await startKubeServer({
    nodes: nodeVms.length,
    nodeOptions: {
      namePrefix: 'k8s-node-',
      controlPlane: 1,
      uuids: Object.fromEntries(nodeVms.map((v, i) => [`k8s-node-${String(i + 1).padStart(4, '0')}`, v.uuid])),
    },
  });
  // The CSI driver's data path, simulated: volumes become CNS volumes in vcsim.
  csi = await simulateCsiDriver(kube, vcsim, 'NFS_0');
  // No internet here: the driver manifests come from a local mirror of small
  // fixture manifests shaped like the upstream ones (VK_MANIFEST_BASE_URL).
  manifests = await startManifestServer({ aliases: { 'v1.31.1': 'v1.31.0', 'v3.5.1': 'v3.7.0' } });
  const env: NodeJS.ProcessEnv = {
    ...vcsim.env,
    KUBECONFIG: kube.kubeconfigPath,
    GOVC_INSECURE: '1',
    VK_MANIFEST_BASE_URL: manifests.baseUrl,
  };
  process.stderr.write(
    `demo: vCenter ${vcsim.url} (user ${vcsim.username}), Kubernetes ${kube.url} (KUBECONFIG=${kube.kubeconfigPath})\n`,
  );

  const csiUser = 'k8s-csi@vsphere.local';
  const steps: Array<[string, string[]]> = [
    ['about', ['about']],
    ['datastores', ['datastores']],
    ['roles:create', ['roles', 'create', '--csi-user', csiUser, '--folder', 'k8s']],
    ['up', ['up', '--folder', 'k8s', '--datastore', 'NFS_0', '--csi-username', csiUser]],
  ];
  let failed = 0;
  for (const [id, args] of steps) {
    if (!commands.has(id)) continue;
    if ((await vk(args, env)) !== 0) failed++;
  }
  process.stdout.write(`\ndemo: done${failed ? ` (${failed} command(s) exited non-zero)` : ''}\n`);
  process.exitCode = failed ? 1 : 0;
  if (keep) {
    kept = true;
    const quote = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`);
    const exports = Object.entries(env)
      .filter(([k]) => /^(GOVC_|KUBECONFIG$|VK_MANIFEST_BASE_URL$)/.test(k))
      .map(([k, v]) => `export ${k}=${quote(v ?? '')}`);
    process.stdout.write(
      `\ndemo: everything keeps running (Ctrl-C to stop). In another shell:\n${exports.join('\n')}\n` +
        `./bin/run.js doctor    # or uninstall csi, up --dry-run, smoke-test, …\n`,
    );
    await new Promise(() => undefined);
  }
} finally {
  await stopAll();
}
