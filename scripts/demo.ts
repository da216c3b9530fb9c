// `npm run demo`: starts the box (vcsim and a real Kubernetes control plane
// with kwok nodes; the pod runtime runs the real vSphere CPI and CSI sidecars
// that vk installs, see test/README.md), then runs vk against it the way a
// user would, showing exactly what a user sees. Every step that has landed in
// this build runs; everything is stopped on exit (also on Ctrl-C). With
// --keep it stays up afterwards, with the exports to point vk at it, until
// Ctrl-C.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBox, type Box } from '../test/box/cluster.js';
import { repoRoot } from '../test/box/build.js';
import { startManifestServer, type ManifestServer } from '../test/fixtures/manifests/server.js';
import { JOURNEY_BOX, JOURNEY_CSI_USER, JOURNEY_UP_FLAGS, journeyEnv } from '../test/support/journey.js';

const manifestPath = join(repoRoot, 'oclif.manifest.json');
if (!existsSync(manifestPath)) {
  process.stderr.write('demo: vk is not built; run `npm run build` first\n');
  process.exit(2);
}
const commands = new Set(
  Object.keys((JSON.parse(readFileSync(manifestPath, 'utf8')) as { commands: object }).commands),
);

let box: Box | undefined;
let manifests: ManifestServer | undefined;
const stopAll = async () => {
  await Promise.allSettled([box?.stop(), manifests?.close()]);
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
  process.stderr.write('demo: starting the box: vcsim, etcd, kube-apiserver, controller-manager, scheduler, kwok…\n');
  box = await startBox(JOURNEY_BOX);
  // No internet here: the driver manifests come from a local mirror of small
  // fixture manifests shaped like the upstream ones (VK_MANIFEST_BASE_URL).
  manifests = await startManifestServer();
  const env = journeyEnv(box, manifests);
  const version = (await box.getJson<{ gitVersion: string }>('/version')).gitVersion;
  process.stderr.write(
    `demo: vCenter ${box.vcsim!.url} (user ${box.vcsim!.username}), Kubernetes ${version} at ${box.apiServerUrl} (KUBECONFIG=${box.kubeconfig})\n`,
  );

  const steps: Array<[string, string[]]> = [
    ['about', ['about']],
    ['datastores', ['datastores']],
    // `vk roles create` gives the CSI account the least privileges the driver needs.
    ['roles:create', ['roles', 'create', '--csi-user', JOURNEY_CSI_USER, '--folder', 'k8s']],
    ['up', ['up', ...JOURNEY_UP_FLAGS]],
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
      .filter(([k]) => /^(GOVC_|KUBECONFIG$|VK_MANIFEST_BASE_URL$|VK_CSI_PASSWORD$)/.test(k))
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
