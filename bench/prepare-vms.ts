// vk prepare-vms on 1000 VMs: a simulator with one folder of 1000 VMs, then
// the built CLI twice (first run sets disk.enableUUID everywhere, the re-run
// finds nothing to do). Prints wall-clock seconds of each run and the SOAP
// requests each sent, in total and after login (service content and the
// session check/Login are login). Goals: first < 4 s, re-run < 1 s with at
// most 3 requests after login.
//
//   npm run build && npx tsx bench/prepare-vms.ts [--vms N]

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildGo, repoRoot } from '../test/support/go-build.js';
import { cleanEnv } from '../test/support/run-vk.js';

const vmsArg = process.argv.indexOf('--vms');
const vmCount = vmsArg > 0 ? Number(process.argv[vmsArg + 1]) : 1000;
const LOGIN_METHODS = new Set(['RetrieveServiceContent', 'Login']);

async function startSimulator(): Promise<{ child: ChildProcess; url: string; username: string; password: string }> {
  const bin = await buildGo('vcsim');
  const args = ['-tls=false', '-exit-on-stdin-eof', '-folder', '/DC0/vm/k8s', `-folder-vms=${vmCount}`];
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`vcsim exited ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return { child, ...(JSON.parse(line) as { url: string; username: string; password: string }) };
}

interface Run {
  seconds: number;
  requests: number;
  afterLogin: number;
  summary: string;
}

function runPrepare(env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'run.js'), 'prepare-vms', 'k8s', '--debug', '-o', 'json'],
      {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`vk prepare-vms exited ${code}:\n${stderr}`));
      // --debug logs one "debug: <Method> <status> <ms>ms" line per SOAP request.
      const methods = [...stderr.matchAll(/^debug: ([A-Za-z_]+) (?:\d{3}|failed) \d+ms$/gm)].map((m) => m[1]!);
      // The first RetrievePropertiesEx after RetrieveServiceContent is the saved-session check.
      let login = methods.filter((m) => LOGIN_METHODS.has(m)).length;
      if (methods[1] === 'RetrievePropertiesEx' && methods[0] === 'RetrieveServiceContent') login++;
      const logout = methods.filter((m) => m === 'Logout').length;
      const summary = /^\d+ VMs: .*$/m.exec(stderr)?.[0] ?? '';
      resolve({ seconds, requests: methods.length, afterLogin: methods.length - login - logout, summary });
    });
  });
}

const sim = await startSimulator();
const home = mkdtempSync(join(tmpdir(), 'vk-bench-'));
const env = {
  ...cleanEnv(),
  XDG_CONFIG_HOME: home,
  GOVC_URL: sim.url,
  GOVC_USERNAME: sim.username,
  GOVC_PASSWORD: sim.password,
};
try {
  const first = await runPrepare(env);
  const rerun = await runPrepare(env);
  const row = (name: string, r: Run, goal: string) =>
    `${name.padEnd(9)} ${r.seconds.toFixed(2).padStart(6)} s   ${String(r.requests).padStart(5)} requests (${r.afterLogin} after login)   goal ${goal}   ${r.summary}`;
  console.log(`vk prepare-vms, ${vmCount} VMs in one folder (vcsim, ${process.platform}, node ${process.version})`);
  console.log(row('first', first, '< 4 s'));
  console.log(row('re-run', rerun, '< 1 s, <= 3 requests after login'));
} finally {
  sim.child.stdin!.end();
  sim.child.kill();
  rmSync(home, { recursive: true, force: true });
}
