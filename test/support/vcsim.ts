// Starts vk's vCenter simulator (test/go/vcsim) for a test suite and reads its
// state back independently of vk. One simulator per suite, started in
// beforeAll on 127.0.0.1 and a random port:
//
//   const sim = await startVcsim({ folder: '/DC0/vm/k8s', folderVms: 20 });
//   afterAll(() => sim.stop());
//   await runVk(['datastores', '--insecure'], { env: sim.env });
//   const vms = await sim.inspect('vms');

import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { buildGo } from './go-build.js';
import { killWithParent } from '../box/process.js';

const execFileP = promisify(execFile);

/** Inventory and server shape; each maps to the launcher flag named in the comment. */
export interface VcsimOptions {
  /** -dc: datacenters DC0.. (default 1) */
  dc?: number;
  /** -cluster: clusters DCn_C0.. per datacenter (default 1) */
  cluster?: number;
  /** -host: hosts DCn_Cm_H0.. per cluster (default 3) */
  host?: number;
  /** -standalone-host: standalone hosts per datacenter (default 0) */
  standaloneHost?: number;
  /** -ds: local VMFS-type datastores LocalDS_0.. mounted on every host (default 1) */
  ds?: number;
  /** -nfs: NFS datastores NFS_0.. mounted on every host of every cluster (default 0) */
  nfs?: number;
  /** -ds-partial: NFS datastores PartialNFS_0.. mounted on the first host of the first cluster only (default 0) */
  dsPartial?: number;
  /** -cluster-nfs: NFS datastores <cluster>_NFS_0.. per cluster, mounted on that cluster's hosts only (default 0) */
  clusterNfs?: number;
  /** -spread-clusters: folder VMs round-robin over every cluster of the datacenter (default: the first cluster) */
  spreadClusters?: boolean;
  /** -vm: the stock model's own VMs per host/pool, DC0_C0_RP0_VM0.. (default 0) */
  vm?: number;
  /** -folder: VM folder to create, e.g. /DC0/vm/k8s */
  folder?: string;
  /** -folder-vms: VMs <folder base>-node-0001.. in the folder */
  folderVms?: number;
  /** -subfolders: folders relative to `folder`, e.g. ['a', 'b/c'] */
  subfolders?: string[];
  /** -subfolder-vms: VMs <sub-path with '-'>-node-0001.. in each subfolder (powered on) */
  subfolderVms?: number;
  /** -vm-names: extra VMs with these exact names in the folder (powered on) */
  vmNames?: string[];
  /** -templates: templates <folder base>-template-01.. in the folder */
  templates?: number;
  /** -preset-uuid: the first N folder node VMs already have disk.enableUUID=TRUE */
  presetUuid?: number;
  /** -powered-off: the N node VMs after the preset ones are powered off */
  poweredOff?: number;
  /** -fail-reconfigure: comma-separated name globs; ReconfigVM_Task ends in a GenericVmConfigFault */
  failReconfigure?: string;
  /** -deny-reconfigure: comma-separated name globs; ReconfigVM_Task is refused with NoPermission */
  denyReconfigure?: string;
  /** -users: extra principals known to vCenter (k8s-csi@ and k8s-cpi@vsphere.local always are) */
  users?: string[];
  /** -vcenter-version: "X.Y.Z" (7.0.3 is 7.0 U3; default 8.0.3), or "stock": the simulator's own 6.5 */
  vcenterVersion?: string;
  /** -esxi-version: every host's ESXi apiVersion "X.Y.Z" (6.7.3 is 6.7 U3; default: the simulator's 8.0.2) */
  esxiVersion?: string;
  /** -vm-hardware: folder VMs matching a name glob get this virtual hardware, e.g. { 'k8s-node-0002': 'vmx-13' } (default vmx-21) */
  vmHardware?: Record<string, string>;
  /** -login: further accounts that can log in, principal → password (as the drivers' accounts an admin created) */
  logins?: Record<string, string>;
  /** -tls (default true): https with a fresh self-signed certificate; false: plain http */
  tls?: boolean;
  /** -username / -password: the administrator's login */
  username?: string;
  password?: string;
  /** Give up waiting for the simulator after this long (default 60 s). */
  startTimeoutMs?: number;
}

/** `inspect vms`: every VM, sorted by inventory path. */
export interface VcsimVm {
  name: string;
  path: string;
  ref: string;
  powerState: 'poweredOn' | 'poweredOff' | 'suspended';
  template: boolean;
  /** config.uuid (the BIOS UUID) */
  uuid: string;
  /** config.extraConfig["disk.enableUUID"] as stored, null when the key is absent. */
  enableUUID: string | null;
  host: string;
  /** config.uuid again, by the name the CPI's node lookup (FindByUuid) knows it */
  biosUuid: string;
  /** config.version, e.g. 'vmx-21' */
  hardwareVersion: string;
  /**
   * The guest as VMware Tools report it. Folder node VMs (-folder-vms,
   * -subfolder-vms, -vm-names): hostName is the VM name; while powered on,
   * toolsRunningStatus is 'guestToolsRunning' and ipAddress a unique address
   * from 10.0.0.0/16, also in `ips` (guest.net); powered off, tools are not
   * running and there is no address. Templates and -vm VMs report nothing.
   */
  hostName: string;
  ipAddress: string;
  /** every address on guest.net */
  ips: string[];
  /** guest.net[].network, one per NIC */
  networks: string[];
  toolsRunningStatus: string;
  /** every extraConfig option (key → value) */
  extraConfig: Record<string, string>;
  /** extraConfig keys present more than once; absent when none (always, on a healthy simulator). */
  duplicateKeys?: string[];
}

/** `inspect datastores`, sorted by inventory path. */
export interface VcsimDatastore {
  name: string;
  path: string;
  ref: string;
  type: string;
  url: string;
  capacity: number;
  free: number;
  remoteHost?: string;
  remotePath?: string;
  /** names of the hosts mounting it, sorted */
  hosts: string[];
}

/** `inspect hosts`, sorted by inventory path. */
export interface VcsimHost {
  name: string;
  path: string;
  ref: string;
  /** inventory path of its cluster, '' for a standalone host */
  cluster: string;
  datastores: string[];
  /** config.product.apiVersion, e.g. '8.0.2.0' */
  apiVersion: string;
}

/** `inspect folders`, sorted by inventory path (the root folder is not listed). */
export interface VcsimFolder {
  path: string;
  ref: string;
  childType: string[];
  children: number;
}

/** `inspect roles`, sorted by id. */
export interface VcsimRole {
  name: string;
  id: number;
  system: boolean;
  privileges: string[];
}

/** `inspect permissions`, sorted by entity path then principal. */
export interface VcsimPermission {
  /** inventory path, '/' for the root folder */
  entity: string;
  entityRef: string;
  principal: string;
  group: boolean;
  roleId: number;
  role: string;
  propagate: boolean;
}

/** `inspect about`: the ServiceContent's AboutInfo. */
export interface VcsimAbout {
  name: string;
  fullName: string;
  vendor: string;
  version: string;
  build: string;
  osType: string;
  productLineId: string;
  apiType: string;
  apiVersion: string;
  instanceUuid: string;
}

/** `inspect sessions`: live sessions except inspect's own, oldest first. */
export interface VcsimSession {
  key: string;
  userName: string;
  loginTime: string;
  lastActiveTime: string;
}

export interface VcsimInspectResults {
  about: VcsimAbout;
  sessions: VcsimSession[];
  vms: VcsimVm[];
  datastores: VcsimDatastore[];
  hosts: VcsimHost[];
  folders: VcsimFolder[];
  roles: VcsimRole[];
  permissions: VcsimPermission[];
  /** Every CNS snapshot (CnsQuerySnapshots), sorted by volume then description (the CSI snapshot name). */
  'cns-snapshots': { volumeId: string; snapshotId: string; description: string }[];
  /** privileges USER PATH...: entity path → privileges the user holds there */
  privileges: Record<string, string[]>;
  /** set-extra-config VM KEY VALUE (VM: name or inventory path) */
  'set-extra-config': { ok: true };
  'power-off': { ok: true };
  'power-on': { ok: true };
  /** add-role ROLE PRIV[,PRIV...] → the new role's id */
  'add-role': { id: number };
  /** remove-role ROLE (its permissions are removed with it) */
  'remove-role': { ok: true };
  /** set-permission PATH PRINCIPAL ROLE ['propagate' (default) | 'no-propagate'] */
  'set-permission': { ok: true };
  /** remove-permission PATH PRINCIPAL ['group'] */
  'remove-permission': { ok: true };
  /** set-role-privileges ROLE PRIV[,PRIV...] */
  'set-role-privileges': { ok: true };
}

export interface Vcsim {
  /** https://127.0.0.1:PORT/sdk (http:// with tls: false) */
  url: string;
  /** 127.0.0.1:PORT */
  host: string;
  username: string;
  password: string;
  tls: boolean;
  /** SHA-256 of the server certificate, AA:BB:.. ('' without TLS) */
  thumbprint: string;
  /** SHA-1 of the server certificate, AA:BB:.. ('' without TLS) */
  thumbprintSha1: string;
  /** PEM file of the self-signed certificate (TLS only); removed on stop */
  caFile?: string;
  pid: number;
  /** how long the launcher took to build the inventory and listen */
  startupMs: number;
  /** Temp dir used as HOME and XDG_CONFIG_HOME in `env`; removed on stop. */
  configDir: string;
  /**
   * Environment for running vk against this simulator: process.env without any
   * GOVC_* / VK_* variable, plus GOVC_URL, GOVC_USERNAME, GOVC_PASSWORD,
   * VK_PERSIST_SESSION=false, HOME and XDG_CONFIG_HOME=configDir. No
   * GOVC_INSECURE: add --insecure, --thumbprint or --ca-file as the test needs.
   */
  env: NodeJS.ProcessEnv;
  /**
   * Changes the password of an account of `logins` (or adds one), as an
   * admin does in SSO: the next login needs it; sessions already open stay.
   */
  setLoginPassword(principal: string, password: string): void;
  /** Runs `vcsim inspect WHAT ARGS...` against this simulator and parses its JSON. */
  inspect<K extends keyof VcsimInspectResults>(what: K, ...args: string[]): Promise<VcsimInspectResults[K]>;
  /** SIGTERM, wait for a clean exit (SIGKILL after 5 s), remove temp files. Idempotent. */
  stop(): Promise<void>;
}

interface ReadyLine {
  url: string;
  host: string;
  username: string;
  password: string;
  tls: boolean;
  thumbprint?: string;
  thumbprintSha1?: string;
  caFile?: string;
  pid: number;
  startupMs: number;
}

/** Launcher arguments for the options (exported for unit tests and vcsim-cli). */
export function vcsimArgs(opts: VcsimOptions): string[] {
  const args: string[] = [];
  const num = (flag: string, v: number | undefined) => {
    if (v !== undefined) args.push(`-${flag}=${v}`);
  };
  const str = (flag: string, v: string | undefined) => {
    if (v !== undefined) args.push(`-${flag}=${v}`);
  };
  const list = (flag: string, v: string[] | undefined) => {
    if (v === undefined) return;
    if (v.some((s) => s.includes(','))) throw new Error(`vcsim -${flag}: names cannot contain a comma`);
    args.push(`-${flag}=${v.join(',')}`);
  };
  num('dc', opts.dc);
  num('cluster', opts.cluster);
  num('host', opts.host);
  num('standalone-host', opts.standaloneHost);
  num('ds', opts.ds);
  num('nfs', opts.nfs);
  num('ds-partial', opts.dsPartial);
  num('cluster-nfs', opts.clusterNfs);
  if (opts.spreadClusters) args.push('-spread-clusters');
  num('vm', opts.vm);
  str('folder', opts.folder);
  num('folder-vms', opts.folderVms);
  list('subfolders', opts.subfolders);
  num('subfolder-vms', opts.subfolderVms);
  list('vm-names', opts.vmNames);
  num('templates', opts.templates);
  num('preset-uuid', opts.presetUuid);
  num('powered-off', opts.poweredOff);
  str('fail-reconfigure', opts.failReconfigure);
  str('deny-reconfigure', opts.denyReconfigure);
  list('users', opts.users);
  for (const [principal, password] of Object.entries(opts.logins ?? {})) args.push(`-login=${principal}=${password}`);
  str('vcenter-version', opts.vcenterVersion);
  str('esxi-version', opts.esxiVersion);
  for (const [glob, version] of Object.entries(opts.vmHardware ?? {})) args.push(`-vm-hardware=${glob}=${version}`);
  if (opts.tls !== undefined) args.push(`-tls=${opts.tls}`);
  str('username', opts.username);
  str('password', opts.password);
  return args;
}

/** vk's environment for a simulator: no inherited GOVC_* / VK_* settings. */
function vkEnv(ready: ReadyLine, configDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('GOVC_') && !k.startsWith('VK_')) env[k] = v;
  }
  return {
    ...env,
    GOVC_URL: ready.url,
    GOVC_USERNAME: ready.username,
    GOVC_PASSWORD: ready.password,
    VK_PERSIST_SESSION: 'false',
    HOME: configDir,
    XDG_CONFIG_HOME: configDir,
  };
}

/** Builds (cached) and starts a simulator; resolves once it serves. */
export async function startVcsim(opts: VcsimOptions = {}): Promise<Vcsim> {
  const bin = await buildGo('vcsim');
  const configDir = mkdtempSync(join(tmpdir(), 'vk-test-home-'));
  // Read by vcsim at every login: setLoginPassword rewrites it.
  const loginFile = join(configDir, 'vcsim-logins');
  const logins = new Map(Object.entries(opts.logins ?? {}));
  const writeLogins = () =>
    writeFileSync(loginFile, [...logins].map(([p, pw]) => `${p}=${pw}\n`).join(''), { mode: 0o600 });
  writeLogins();
  const args = [...vcsimArgs(opts), `-login-file=${loginFile}`, '-exit-on-stdin-eof'];
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // The launcher also exits when its stdin closes (-exit-on-stdin-eof), which
  // covers a parent killed without running the exit hook.
  killWithParent(child);

  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8192); // keep draining; keep the tail for errors
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
  });

  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  let ready: ReadyLine;
  try {
    ready = await new Promise<ReadyLine>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`vcsim did not start within ${timeoutMs} ms\n${stderr}`)),
        timeoutMs,
      );
      const lines = createInterface({ input: child.stdout! });
      lines.once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as ReadyLine);
        } catch {
          reject(new Error(`vcsim printed ${JSON.stringify(line)} instead of its JSON line\n${stderr}`));
        }
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`vcsim ${args.join(' ')} exited with code ${code}:\n${stderr}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(configDir, { recursive: true, force: true });
    throw err;
  }
  // Nothing else comes on stdout, but the pipe must not fill up.
  child.stdout!.resume();

  let stopped: Promise<void> | undefined;

  const inspectArgs = [
    'inspect',
    `-url=${ready.url}`,
    '-k',
    `-username=${ready.username}`,
    `-password=${ready.password}`,
  ];
  return {
    ...ready,
    thumbprint: ready.thumbprint ?? '',
    thumbprintSha1: ready.thumbprintSha1 ?? '',
    configDir,
    env: vkEnv(ready, configDir),
    setLoginPassword(principal, password) {
      logins.set(principal, password);
      writeLogins();
    },
    async inspect(what, ...rest) {
      try {
        const { stdout } = await execFileP(bin, [...inspectArgs, what, ...rest], { maxBuffer: 64 << 20 });
        return JSON.parse(stdout);
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`vcsim inspect ${what} ${rest.join(' ')}: ${(e.stderr || e.message).trim()}`);
      }
    },
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(configDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
