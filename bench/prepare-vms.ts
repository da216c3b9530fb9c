// vk prepare-vms on 1000 VMs: a simulator with one folder of 1000 VMs, each
// carrying --extra-config realistic advanced settings (80 by default: a real
// VM has dozens to hundreds, the simulator's one or two), then the built CLI
// twice (first run sets disk.enableUUID everywhere, the re-run finds nothing
// to do). Prints wall-clock seconds of each run, the SOAP requests each sent
// (in total and after login: service content and the session check/Login
// are login) and the bytes vk received and sent, counted by a TCP proxy
// between vk and the simulator. Goals: first < 4 s, re-run < 1 s with at most
// 3 requests after login.
//
//   npm run build && npx tsx bench/prepare-vms.ts [--vms N] [--extra-config N]
//     [--vcsim bench/vcsim-keyed/vcsim-keyed]   a simulator that answers keyed property paths
//     [--vk PATH/bin/run.js]                    another build of vk (e.g. main's, for "before")

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect as tcpConnect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { silentLogger } from '../src/lib/cli/logger.js';
import { connect } from '../src/lib/vsphere/connect.js';
import { retrieveFromContainer } from '../src/lib/vsphere/property-collector.js';
import { waitForTasks } from '../src/lib/vsphere/task.js';
import { startSetExtraConfig } from '../src/lib/vsphere/vm.js';
import { buildGo, repoRoot } from '../test/support/go-build.js';
import { cleanEnv } from '../test/support/run-vk.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const vmCount = Number(arg('--vms') ?? 1000);
const extraCount = Number(arg('--extra-config') ?? 80);
const vcsimBin = arg('--vcsim');
const vkBin = arg('--vk') ?? join(repoRoot, 'bin', 'run.js');
const LOGIN_METHODS = new Set(['RetrieveServiceContent', 'Login']);

interface Sim {
  child: ChildProcess;
  url: string;
  username: string;
  password: string;
  /** The VMs' folder, as prepare-vms takes it. */
  folder: string;
}

async function startSimulator(): Promise<Sim> {
  // The test launcher puts the VMs in /DC0/vm/k8s; a stock simulator (--vcsim) in /DC0/vm.
  const [bin, args, folder] = vcsimBin
    ? [vcsimBin, [`-vms=${vmCount}`], '/DC0/vm']
    : [
        await buildGo('vcsim'),
        ['-tls=false', '-exit-on-stdin-eof', '-folder', '/DC0/vm/k8s', `-folder-vms=${vmCount}`],
        'k8s',
      ];
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`vcsim exited ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return { child, folder, ...(JSON.parse(line) as { url: string; username: string; password: string }) };
}

/** Advanced settings as a real Linux VM carries them: PCI slots, tools, NUMA, guestinfo. */
function realisticExtraConfig(n: number, seed: number): Record<string, string> {
  const hex = (i: number, len: number) =>
    Array.from({ length: len }, (_, j) => ((seed * 31 + i * 17 + j * 7) % 16).toString(16)).join('');
  const base: Array<[string, string]> = [
    ['svga.present', 'TRUE'],
    ['pciBridge0.present', 'TRUE'],
    ['pciBridge4.present', 'TRUE'],
    ['pciBridge4.virtualDev', 'pcieRootPort'],
    ['pciBridge4.functions', '8'],
    ['pciBridge5.present', 'TRUE'],
    ['pciBridge5.virtualDev', 'pcieRootPort'],
    ['pciBridge5.functions', '8'],
    ['pciBridge6.present', 'TRUE'],
    ['pciBridge7.present', 'TRUE'],
    ['hpet0.present', 'TRUE'],
    ['nvram', `k8s-node-${seed}.nvram`],
    ['ethernet0.pciSlotNumber', '192'],
    ['scsi0.pciSlotNumber', '160'],
    ['scsi0.sasWWID', `50 05 05 6${hex(1, 1)} ${hex(2, 2)} ${hex(3, 2)} ${hex(4, 2)} 00`],
    ['vmci0.pciSlotNumber', '32'],
    ['sata0.pciSlotNumber', '33'],
    ['monitor.phys_bits_used', '45'],
    ['numa.autosize.cookie', '40012'],
    ['numa.autosize.vcpu.maxPerVirtualNode', '4'],
    [
      'sched.swap.derivedName',
      `/vmfs/volumes/${hex(5, 8)}-${hex(6, 8)}/k8s-node-${seed}/k8s-node-${seed}-${hex(7, 8)}.vswp`,
    ],
    ['softPowerOff', 'FALSE'],
    ['tools.guest.desktop.autolock', 'TRUE'],
    ['toolsInstallManager.updateCounter', '3'],
    ['migrate.hostLog', `k8s-node-${seed}-${hex(8, 8)}.hlog`],
    ['vmware.tools.internalversion', '12389'],
    ['vmware.tools.requiredversion', '12416'],
    ['guestinfo.vmtools.buildNumber', '22544099'],
    ['guestinfo.vmtools.description', 'open-vm-tools 12.3.5 build 22544099'],
    ['guestinfo.vmtools.versionNumber', '12389'],
    ['guestinfo.vmtools.versionString', '12.3.5'],
    ['guestinfo.driver.vmxnet3.version', '1.7.0.0-k-NAPI'],
    [
      'guestinfo.detailed.data',
      `architecture='X86' bitness='64' distroName='Ubuntu' distroVersion='22.04' familyName='Linux' kernelVersion='5.15.0-${seed % 100}-generic' prettyName='Ubuntu 22.04.4 LTS'`,
    ],
    ['vmotion.checkpointFBSize', '4194304'],
    ['vmotion.checkpointSVGAPrimarySize', '16777216'],
    ['cpuid.coresPerSocket', '2'],
  ];
  const out: Record<string, string> = {};
  for (const [k, v] of base.slice(0, n)) out[k] = v;
  for (let i = 0; Object.keys(out).length < n; i++) out[`guestinfo.metadata.k8s.${i}`] = `${hex(i, 24)}`;
  return out;
}

/** Gives every VM its advanced settings with vk's own client, 16 reconfigures at a time. */
async function seedExtraConfig(sim: Sim): Promise<void> {
  const session = await connect(
    { url: sim.url, username: sim.username, password: sim.password, 'persist-session': false },
    {},
    { log: silentLogger, signal: new AbortController().signal },
  );
  try {
    const client = session.client;
    const vms = await retrieveFromContainer<{ name: string }>(client, {
      container: client.sc.rootFolder,
      type: 'VirtualMachine',
      paths: ['name'],
    });
    for (let i = 0; i < vms.length; i += 16) {
      const batch = vms.slice(i, i + 16);
      const tasks = await Promise.all(
        batch.map((vm, j) => startSetExtraConfig(client, vm.ref, realisticExtraConfig(extraCount, i + j))),
      );
      const results = await waitForTasks(client, tasks, { timeoutMs: 60_000 });
      const failed = [...results.values()].find((r) => r.error);
      if (failed) throw failed.error;
    }
  } finally {
    await session.release();
  }
}

/** A TCP proxy in front of the simulator that counts the bytes each way. */
async function countingProxy(
  target: URL,
): Promise<{ server: Server; port: number; counts: { in: number; out: number } }> {
  const counts = { in: 0, out: 0 };
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    client.on('data', (d: Buffer) => (counts.out += d.length));
    upstream.on('data', (d: Buffer) => (counts.in += d.length));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, counts };
}

interface Run {
  seconds: number;
  requests: number;
  afterLogin: number;
  received: number;
  sent: number;
  summary: string;
}

function runPrepare(env: NodeJS.ProcessEnv, folder: string, counts: { in: number; out: number }): Promise<Run> {
  counts.in = 0;
  counts.out = 0;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [vkBin, 'prepare-vms', folder, '--debug', '-o', 'json'], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
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
      resolve({
        seconds,
        requests: methods.length,
        afterLogin: methods.length - login - logout,
        received: counts.in,
        sent: counts.out,
        summary,
      });
    });
  });
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const sim = await startSimulator();
const home = mkdtempSync(join(tmpdir(), 'vk-bench-'));
const proxy = await countingProxy(new URL(sim.url));
try {
  if (extraCount > 0) await seedExtraConfig(sim);
  const url = new URL(sim.url);
  url.host = `127.0.0.1:${proxy.port}`;
  const env = {
    ...cleanEnv(),
    XDG_CONFIG_HOME: home,
    GOVC_URL: url.toString(),
    GOVC_USERNAME: sim.username,
    GOVC_PASSWORD: sim.password,
  };
  const first = await runPrepare(env, sim.folder, proxy.counts);
  const rerun = await runPrepare(env, sim.folder, proxy.counts);
  const row = (name: string, r: Run, goal: string) =>
    `${name.padEnd(9)} ${r.seconds.toFixed(2).padStart(6)} s   ${String(r.requests).padStart(5)} requests (${r.afterLogin} after login)   ` +
    `${kb(r.received).padStart(9)} received, ${kb(r.sent).padStart(8)} sent   goal ${goal}   ${r.summary}`;
  console.log(
    `vk prepare-vms, ${vmCount} VMs with ${extraCount} extraConfig entries in one folder ` +
      `(${vcsimBin ? 'stock govmomi simulator' : 'vcsim launcher'}, ${process.platform}, node ${process.version})`,
  );
  console.log(row('first', first, '< 4 s'));
  console.log(row('re-run', rerun, '< 1 s, <= 3 requests after login'));
} finally {
  proxy.server.close();
  sim.child.stdin!.end();
  sim.child.kill();
  rmSync(home, { recursive: true, force: true });
}
