// `npm run vcsim [-- launcher flags]`: starts a simulator with a small demo
// inventory, prints how to point vk (or govc) at it and runs until Ctrl-C.
// Extra arguments are launcher flags and override the demo's, e.g.
//   npm run vcsim -- -folder-vms=1000 -tls=false

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { buildGo } from './go-build.js';
import { vcsimArgs } from './vcsim.js';

const demo = vcsimArgs({
  cluster: 1,
  host: 2,
  ds: 2,
  nfs: 1,
  dsPartial: 1,
  folder: '/DC0/vm/k8s',
  folderVms: 3,
  templates: 1,
});

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  const bin = await buildGo('vcsim');
  const child = spawn(bin, [...demo, ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  lines.once('line', (line) => {
    const r = JSON.parse(line) as {
      url: string;
      username: string;
      password: string;
      tls: boolean;
      thumbprint?: string;
      caFile?: string;
      startupMs: number;
    };
    const out = [
      `vCenter simulator at ${r.url} (ready in ${r.startupMs} ms). In another shell:`,
      '',
      `  export GOVC_URL=${shellQuote(r.url)}`,
      `  export GOVC_USERNAME=${shellQuote(r.username)}`,
      `  export GOVC_PASSWORD=${shellQuote(r.password)}`,
    ];
    if (r.tls) {
      out.push(
        `  export GOVC_TLS_CA_CERTS=${shellQuote(r.caFile!)}   # or: export GOVC_INSECURE=1`,
        `  # or pin it: vk about --thumbprint ${r.thumbprint}`,
      );
    }
    out.push('', '  vk about', '  vk datastores', '', 'Ctrl-C stops it.');
    process.stdout.write(out.join('\n') + '\n');
  });

  // Ctrl-C reaches the launcher too (same process group); forward SIGTERM for
  // `kill` and wait for its clean exit.
  const forward = (sig: NodeJS.Signals) => () => {
    if (child.exitCode === null) child.kill(sig);
  };
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 0 : 1);
  });
}

main().catch((err: Error) => {
  process.stderr.write(`vcsim: ${err.message}\n`);
  process.exitCode = 1;
});
