// The box's pod runtime: runs the real driver binaries for the driver pods
// vk installs, where a kubelet would run their containers. kwok still plays
// every pod (scheduled → Running); for the containers this runtime knows
// (pod-spec.ts runnableOf) it starts the binary as a local process with the
// container's args and env, the files of the volumes it mounts written to a
// private directory per mount path (paths in args and env rewritten to it),
// and a token of the pod's ServiceAccount (TokenRequest API) in a
// kubeconfig, so the pod's RBAC is what the process gets. The container's
// status then follows the process: kwok's "running" is replaced by a
// terminated state with the real exit code and CrashLoopBackOff when it
// exits, and it is restarted with a back-off, as kubelet would. Logs go to a
// file per container that kwok serves as the pod log (a kwok Logs object).
// Pods that go away (upgrade, uninstall) stop their processes.
//
// The node DaemonSet's driver container runs nothing: csinode.ts writes the
// node's CSINode entry instead, as kubelet's plugin registration would.
// Run-to-completion shell pods (vk smoke-test's writer and reader) run their
// script against a stand-in disk directory per volume: shell-pod.ts.
import { mkdirSync, readFileSync, rmSync, writeFileSync, createWriteStream, type WriteStream } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import yaml from 'js-yaml';
import {
  CPI_BUILD,
  CSI_ATTACHER_BUILD,
  CSI_PROVISIONER_BUILD,
  CSI_STANDIN_BUILD,
  SNAPSHOTTER_BUILD,
  ensureBuilt,
  repoRoot,
} from './build.js';
import {
  containerEnv,
  expand,
  pathRewriter,
  RELEASE_REPOSITORIES,
  runnableOf,
  type Container,
  type Pod,
  type Runnable,
} from './pod-spec.js';
import { CsiNodeWriter } from './csinode.js';
import type { RuntimeHost } from './runtime-host.js';

export type { RuntimeHost } from './runtime-host.js';
import { finishedStatus, isShellPod, prepareShellPod, reportStandInDisks } from './shell-pod.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are read as served */

export interface PodRuntime {
  /** The log of one container the runtime ran (empty if none). */
  logOf(namespace: string, pod: string, container: string): string;
  /** Pods whose containers it runs now, `ns/name`. */
  running(): string[];
  stop(): Promise<void>;
}

/**
 * kwok's Logs CRD, read from the kwok module the box builds (not copied):
 * with it, kwok serves each container's log file as its pod log. Installed
 * before kwok starts, which then runs with --enable-crds=Logs.
 */
export async function installRuntimeCrds(api: RuntimeHost['api']): Promise<void> {
  const kwokDir = execFileSync('go', ['list', '-m', '-f', '{{.Dir}}', 'sigs.k8s.io/kwok'], {
    cwd: join(repoRoot, 'test', 'box', 'kwok'),
    encoding: 'utf8',
  }).trim();
  const crd = yaml.load(
    readFileSync(join(kwokDir, 'kustomize', 'crd', 'bases', 'kwok.x-k8s.io_logs.yaml'), 'utf8'),
  ) as any;
  const r = await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  if (r.status !== 201 && r.status !== 409)
    throw new Error(`installing kwok's Logs CRD: ${r.status} ${JSON.stringify(r.body)}`);
  for (let i = 0; i < 100; i++) {
    const got = await api('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
    if (got.body?.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`kwok's Logs CRD was not established`);
}

/** Whether processes can get a hostname of their own (a UTS namespace: root, util-linux's unshare). */
function canSetHostname(): boolean {
  try {
    execFileSync('unshare', ['--uts', '--', '/bin/sh', '-c', 'hostname box-probe'], { stdio: 'ignore' });
    return true;
  } catch {
    process.stderr.write(
      'box: unshare --uts is not available: driver replicas share one hostname, so each may believe it leads\n',
    );
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const decode = (data: Record<string, string> | undefined) =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

interface RunningContainer {
  name: string;
  runnable: Runnable;
  bin: string;
  args: string[];
  env: Record<string, string>;
  logFile: string;
  log?: WriteStream;
  child?: ChildProcess;
  restarts: number;
  startedAt: string;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

interface PodInstance {
  key: string;
  uid: string;
  dir: string;
  containers: RunningContainer[];
  /** The pod as started, for refreshing its volumes. */
  pod?: Pod;
}

/** How often the runtime refreshes running pods' Secret and ConfigMap volumes (kubelet: within its ~1 min sync). */
const VOLUME_REFRESH_MS = 5_000;

const readIfExists = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** How long a container's process must stay up before the runtime reports it Ready. */
const READY_AFTER_MS = 2_000;

/** The release of each binary the runtime runs, as the image tag names it. */
export const BUILT_VERSION: Record<keyof typeof RELEASE_REPOSITORIES, string> = {
  cpi: CPI_BUILD.version,
  'csi-provisioner': CSI_PROVISIONER_BUILD.version,
  'csi-attacher': CSI_ATTACHER_BUILD.version,
  'csi-snapshotter': SNAPSHOTTER_BUILD.version,
  'snapshot-controller': SNAPSHOTTER_BUILD.version,
};

export async function startRuntime(host: RuntimeHost): Promise<PodRuntime> {
  const bins: Record<Exclude<Runnable, 'csinode'>, string> = {
    cpi: (await ensureBuilt(CPI_BUILD))['vsphere-cloud-controller-manager']!,
    'csi-provisioner': (await ensureBuilt(CSI_PROVISIONER_BUILD))['csi-provisioner']!,
    'csi-attacher': (await ensureBuilt(CSI_ATTACHER_BUILD))['csi-attacher']!,
    'csi-snapshotter': (await ensureBuilt(SNAPSHOTTER_BUILD))['csi-snapshotter']!,
    'snapshot-controller': (await ensureBuilt(SNAPSHOTTER_BUILD))['snapshot-controller']!,
    'csi-standin': (await ensureBuilt(CSI_STANDIN_BUILD))['csi-standin']!,
  };
  const apiUrl = new URL(host.apiServerUrl);
  // Short: unix socket paths must stay under 108 bytes.
  const root = mkdtempSync('/tmp/vkr-');
  const caFile = join(root, 'ca.crt');
  writeFileSync(caFile, host.caPem);
  const pods = new Map<string, PodInstance>();
  /** Shell pods: key → their uid, log files and live processes. */
  const shells = new Map<string, { uid: string; logs: Map<string, string>; children: Set<ChildProcess> }>();
  const csinode = new CsiNodeWriter(host, bins['csi-standin'], root);
  const ownHostname = canSetHostname();
  let stopping = false;

  const read = async (kind: 'secrets' | 'configmaps', ns: string, name: string) => {
    const r = await host.api('GET', `/api/v1/namespaces/${ns}/${kind}/${name}`);
    if (r.status !== 200) return undefined;
    return kind === 'secrets' ? decode(r.body.data) : { ...r.body.data, ...decode(r.body.binaryData) };
  };
  const sources = {
    secret: (ns: string, n: string) => read('secrets', ns, n),
    configMap: (ns: string, n: string) => read('configmaps', ns, n),
  };

  /**
   * Writes each volume's files (or an empty dir) under dir/v/<volume>;
   * returns volume → dir. With `refresh`, as kubelet's volume sync does for
   * a running pod: only Secret and ConfigMap contents, only files whose
   * content changed, and not for volumes a container mounts with subPath
   * (kubelet never updates those); tokens are left as they are.
   */
  const writeVolumes = async (pod: Pod, dir: string, refresh = false): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    const ns = pod.metadata.namespace;
    const subPathVolumes = new Set(
      (pod.spec.containers as Container[]).flatMap((c) =>
        (c.volumeMounts ?? []).filter((m: any) => m.subPath).map((m: any) => m.name as string),
      ),
    );
    for (const v of pod.spec.volumes ?? []) {
      if (refresh && subPathVolumes.has(v.name)) continue;
      const vdir = join(dir, 'v', v.name);
      mkdirSync(vdir, { recursive: true });
      out.set(v.name, vdir);
      const put = (data: Record<string, string> | undefined, items?: { key: string; path: string }[]) => {
        for (const [k, val] of Object.entries(data ?? {})) {
          const path = items ? items.find((i) => i.key === k)?.path : k;
          if (!path) continue;
          const file = join(vdir, path);
          if (refresh && readIfExists(file) === val) continue;
          mkdirSync(join(file, '..'), { recursive: true });
          writeFileSync(file, val);
        }
      };
      if (v.secret) put(await sources.secret(ns, v.secret.secretName), v.secret.items);
      if (v.configMap) put(await sources.configMap(ns, v.configMap.name), v.configMap.items);
      for (const s of v.projected?.sources ?? []) {
        if (s.secret) put(await sources.secret(ns, s.secret.name), s.secret.items);
        if (s.configMap) put(await sources.configMap(ns, s.configMap.name), s.configMap.items);
        if (s.serviceAccountToken && !refresh) writeFileSync(join(vdir, s.serviceAccountToken.path), await token(pod));
      }
    }
    return out;
  };

  const token = async (pod: Pod): Promise<string> => {
    const sa = pod.spec.serviceAccountName ?? 'default';
    const r = await host.api('POST', `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        expirationSeconds: 7200,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    });
    if (r.status !== 201) throw new Error(`token for ServiceAccount ${sa}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.status.token as string;
  };

  /** The args a container needs beyond its own to run outside a pod (kubeconfig, ports, lease namespace). */
  const extraArgs = async (runnable: Runnable, args: string[], pod: Pod, kubeconfig: string): Promise<string[]> => {
    const has = (flag: string) => args.some((a) => a === flag || a.startsWith(`${flag}=`));
    const extra: string[] = [];
    if (runnable === 'cpi') {
      extra.push(`--kubeconfig=${kubeconfig}`);
      extra.push(`--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`);
      extra.push('--bind-address=127.0.0.1', `--secure-port=${await freePort()}`);
    }
    if (
      runnable === 'csi-provisioner' ||
      runnable === 'csi-attacher' ||
      runnable === 'csi-snapshotter' ||
      runnable === 'snapshot-controller'
    ) {
      extra.push(`--kubeconfig=${kubeconfig}`);
      if (!has('--leader-election-namespace')) extra.push(`--leader-election-namespace=${pod.metadata.namespace}`);
    }
    return extra;
  };

  /** Metrics and health listeners named in the args get a port of their own on 127.0.0.1. */
  const ownPorts = async (args: string[]): Promise<string[]> => {
    const out: string[] = [];
    for (const a of args) {
      const m = /^(--(?:http-endpoint|metrics-address|health-port|healthz-port))=(.*)$/.exec(a);
      out.push(m ? `${m[1]}=${m[1]!.endsWith('port') ? '' : '127.0.0.1:'}${await freePort()}` : a);
    }
    return out;
  };

  const prepare = async (pod: Pod): Promise<PodInstance | undefined> => {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const known = (pod.spec.containers as Container[]).map((c) => ({ c, r: runnableOf(c) })).filter((x) => x.r);
    if (known.length === 0) return undefined;
    const dir = join(root, pod.metadata.uid.slice(0, 8));
    mkdirSync(dir, { recursive: true });
    const instance: PodInstance = { key, uid: pod.metadata.uid, dir, containers: [], pod };
    const volumes = await writeVolumes(pod, dir);
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, await token(pod));
    const kubeconfig = join(dir, 'kubeconfig.json');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'box', cluster: { server: host.apiServerUrl, 'certificate-authority': caFile } }],
        users: [{ name: pod.spec.serviceAccountName ?? 'default', user: { tokenFile } }],
        contexts: [{ name: 'box', context: { cluster: 'box', user: pod.spec.serviceAccountName ?? 'default' } }],
        'current-context': 'box',
      }),
    );
    for (const { c, r } of known) {
      // The box runs exactly the release an image names, or nothing: a pod
      // asking for another tag meets what kubelet reports for an image it
      // cannot pull, never a silent substitute.
      const built = BUILT_VERSION[r as keyof typeof BUILT_VERSION] as string | undefined;
      const tag = (c.image ?? '').split(':').pop();
      if (built && tag !== built) {
        const [ns, name] = key.split('/') as [string, string];
        await patchStatus({ ns, name }, (statuses) => {
          const st = statuses.find((x) => x.name === c.name);
          if (!st) return;
          st.ready = false;
          st.started = false;
          st.state = {
            waiting: { reason: 'ErrImagePull', message: `box: ${c.image} is not built here (the box builds ${built})` },
          };
        }).catch(() => undefined);
        continue;
      }
      if (r === 'csinode') {
        await csinode.podRunning(pod, c);
        continue;
      }
      const rewrite = pathRewriter(
        (c.volumeMounts ?? []).map((m: any) => ({
          mountPath: m.mountPath,
          dir: m.subPath ? join(volumes.get(m.name)!, m.subPath) : volumes.get(m.name)!,
        })),
      );
      const env = await containerEnv(pod, c, sources);
      for (const k of Object.keys(env)) env[k] = rewrite(env[k]!);
      const args = await ownPorts(
        [...(c.command?.slice(1) ?? []), ...(c.args ?? [])].map((a) => rewrite(expand(a, env))),
      );
      instance.containers.push({
        name: c.name,
        runnable: r!,
        bin: bins[r as Exclude<Runnable, 'csinode'>],
        args: [...args, ...(await extraArgs(r!, args, pod, kubeconfig))],
        env: {
          ...env,
          KUBERNETES_SERVICE_HOST: apiUrl.hostname,
          KUBERNETES_SERVICE_PORT: apiUrl.port,
          KUBECONFIG: kubeconfig,
          POD_NAME: env.POD_NAME ?? pod.metadata.name,
          // The stand-in copies the stand-in disks along with its snapshots (csi-standin/snapshot.go).
          ...(r === 'csi-standin' ? { BOX_STANDIN_DISKS: host.volumesDir } : {}),
        },
        logFile: join(dir, `${c.name}.log`),
        restarts: 0,
        startedAt: new Date().toISOString(),
        stopped: false,
      });
    }
    return instance;
  };

  // One status write at a time per pod: each replaces the containerStatuses
  // array it read, so two at once would lose one's change.
  const statusQueue = new Map<string, Promise<void>>();
  const patchStatus = (pod: { ns: string; name: string }, update: (statuses: any[]) => void): Promise<void> => {
    const key = `${pod.ns}/${pod.name}`;
    const next = (statusQueue.get(key) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => writeStatus(pod, update));
    statusQueue.set(key, next);
    void next
      .finally(() => {
        if (statusQueue.get(key) === next) statusQueue.delete(key);
      })
      .catch(() => undefined);
    return next;
  };
  const writeStatus = async (pod: { ns: string; name: string }, update: (statuses: any[]) => void) => {
    const path = `/api/v1/namespaces/${pod.ns}/pods/${pod.name}`;
    const r = await host.api('GET', path);
    if (r.status !== 200) return;
    const statuses = r.body.status?.containerStatuses ?? [];
    update(statuses);
    const ready = statuses.every((s: any) => s.ready);
    const conditions = (r.body.status?.conditions ?? []).map((c: any) =>
      c.type === 'Ready' || c.type === 'ContainersReady' ? { ...c, status: ready ? 'True' : 'False' } : c,
    );
    await host.api(
      'PATCH',
      `${path}/status`,
      { status: { containerStatuses: statuses, conditions } },
      'application/merge-patch+json',
    );
  };

  const setContainerStatus = (
    inst: PodInstance,
    rc: RunningContainer,
    state: any,
    lastState?: any,
    ready = !!state.running,
  ) => {
    const [ns, name] = inst.key.split('/') as [string, string];
    return patchStatus({ ns, name }, (statuses) => {
      const s = statuses.find((x) => x.name === rc.name);
      if (!s) return;
      s.state = state;
      s.ready = ready;
      s.started = !!state.running;
      s.restartCount = rc.restarts;
      if (lastState) s.lastState = lastState;
    }).catch(() => undefined);
  };

  const launch = (inst: PodInstance, rc: RunningContainer) => {
    if (stopping || rc.stopped) return;
    rc.log ??= createWriteStream(rc.logFile, { flags: 'a' });
    rc.startedAt = new Date().toISOString();
    // The pod's name as the process's hostname, as kubelet gives it: leader
    // election takes the hostname as identity, and replicas sharing the box's
    // one hostname would all believe they lead.
    const podName = inst.key.split('/')[1]!;
    const [cmd, args] = ownHostname
      ? ['unshare', ['--uts', '--', '/bin/sh', '-c', 'hostname "$0" && exec "$@"', podName, rc.bin, ...rc.args]]
      : [rc.bin, rc.args];
    const child = spawn(cmd, args, {
      env: { PATH: process.env.PATH, HOME: inst.dir, ...rc.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    rc.child = child;
    writeCriLog(child, rc.log);
    // Running at once; Ready once the process has stayed up READY_AFTER_MS, as
    // a readiness probe would find it (a driver that exits on a bad login never is).
    const running = { running: { startedAt: rc.startedAt } };
    void setContainerStatus(inst, rc, running, undefined, false);
    rc.timer = setTimeout(() => {
      if (rc.child === child && !rc.stopped && !stopping) void setContainerStatus(inst, rc, running);
    }, READY_AFTER_MS);
    child.on('exit', (code, signal) => {
      rc.child = undefined;
      if (rc.stopped || stopping) return;
      const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
      const terminated = {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt: rc.startedAt,
        finishedAt: new Date().toISOString(),
      };
      if (rc.timer) clearTimeout(rc.timer);
      rc.restarts++;
      const backoffMs = Math.min(40_000, 5_000 * 2 ** Math.min(rc.restarts - 1, 3));
      void setContainerStatus(
        inst,
        rc,
        { waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${rc.name}` } },
        { terminated },
      );
      rc.timer = setTimeout(() => launch(inst, rc), backoffMs);
    });
  };

  const start = async (pod: Pod) => {
    const inst = await prepare(pod);
    if (!inst) return;
    pods.set(inst.key, inst);
    for (const rc of inst.containers) launch(inst, rc);
    // kwok started this pod not Ready (pod-running-runtime); the containers
    // no process stands for (sidecars the box does not build, the node
    // driver whose CSINode is written) run as kwok would have them.
    const run = new Set(inst.containers.map((c) => c.name));
    const refused = new Set(
      (pod.status?.containerStatuses ?? [])
        .filter((c: any) => c.state?.waiting?.reason === 'ErrImagePull')
        .map((c: any) => c.name),
    );
    const [ns, name] = inst.key.split('/') as [string, string];
    await patchStatus({ ns, name }, (statuses) => {
      for (const st of statuses) {
        if (run.has(st.name) || refused.has(st.name) || st.state?.waiting?.reason === 'ErrImagePull') continue;
        st.state = { running: { startedAt: new Date().toISOString() } };
        st.ready = true;
        st.started = true;
      }
    }).catch(() => undefined);
    if (inst.containers.length > 0) {
      // kwok serves these files as the containers' logs (kubectl logs, pods/log).
      await host
        .api('POST', `/apis/kwok.x-k8s.io/v1alpha1/namespaces/${pod.metadata.namespace}/logs`, {
          apiVersion: 'kwok.x-k8s.io/v1alpha1',
          kind: 'Logs',
          metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
          spec: { logs: inst.containers.map((c) => ({ containers: [c.name], logsFile: c.logFile, follow: true })) },
        })
        .catch(() => undefined);
    }
  };

  /** Runs a shell pod's containers once its volumes are there; the pod ends as they do. */
  const runShell = async (pod: Pod) => {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const shell = {
      uid: pod.metadata.uid as string,
      logs: new Map<string, string>(),
      children: new Set<ChildProcess>(),
    };
    shells.set(key, shell);
    const dir = join(root, pod.metadata.uid.slice(0, 8));
    mkdirSync(dir, { recursive: true });
    const alive = () => !stopping && shells.get(key) === shell;
    const prepared = await prepareShellPod(host, pod, dir, sources, alive);
    if (!prepared) return;
    await reportStandInDisks(host, pod, prepared.volumes);
    for (const c of prepared.containers) shell.logs.set(c.name, join(dir, `${c.name}.log`));
    await host
      .api('POST', `/apis/kwok.x-k8s.io/v1alpha1/namespaces/${pod.metadata.namespace}/logs`, {
        apiVersion: 'kwok.x-k8s.io/v1alpha1',
        kind: 'Logs',
        metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace },
        spec: { logs: prepared.containers.map((c) => ({ containers: [c.name], logsFile: shell.logs.get(c.name) })) },
      })
      .catch(() => undefined);
    const ended = await Promise.all(
      prepared.containers.map(
        (c) =>
          new Promise<{ name: string; exitCode: number; startedAt: string }>((resolve) => {
            const startedAt = new Date().toISOString();
            const log = createWriteStream(shell.logs.get(c.name)!);
            const child = spawn('sh', c.args, {
              cwd: dir,
              env: { PATH: process.env.PATH, HOME: dir, ...c.env },
              stdio: ['ignore', 'pipe', 'pipe'],
            });
            shell.children.add(child);
            writeCriLog(child, log);
            child.on('close', (code, signal) => {
              shell.children.delete(child);
              setImmediate(() => log.end());
              resolve({ name: c.name, exitCode: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), startedAt });
            });
          }),
      ),
    );
    if (!alive()) return;
    const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
    const current = await host.api('GET', path);
    if (current.status !== 200 || current.body.metadata.uid !== shell.uid) return;
    await host.api(
      'PATCH',
      `${path}/status`,
      { status: finishedStatus(current.body, ended) },
      'application/merge-patch+json',
    );
  };

  const stopShell = (key: string) => {
    const shell = shells.get(key);
    shells.delete(key);
    for (const child of shell?.children ?? []) child.kill('SIGKILL');
  };

  const stopInstance = async (inst: PodInstance) => {
    pods.delete(inst.key);
    await Promise.all(
      inst.containers.map(async (rc) => {
        rc.stopped = true;
        if (rc.timer) clearTimeout(rc.timer);
        const child = rc.child;
        if (child) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(kill);
        }
        rc.log?.end();
      }),
    );
    await csinode.podGone(inst.key);
  };

  const starting = new Set<string>();
  const sync = async () => {
    const r = await host.api('GET', '/api/v1/pods');
    if (r.status !== 200) return;
    const live = new Map<string, Pod>();
    for (const p of r.body.items as Pod[]) {
      if (!p.spec.nodeName || p.metadata.deletionTimestamp) continue;
      live.set(`${p.metadata.namespace}/${p.metadata.name}`, p);
    }
    for (const inst of [...pods.values()]) {
      if (live.get(inst.key)?.metadata.uid !== inst.uid) await stopInstance(inst);
    }
    for (const [key, shell] of [...shells]) if (live.get(key)?.metadata.uid !== shell.uid) stopShell(key);
    for (const [key, p] of live) {
      if (isShellPod(p)) {
        if (!shells.has(key) && p.status?.phase === 'Running') {
          void runShell(p).catch((err: Error) => process.stderr.write(`box runtime: ${key}: ${err.message}\n`));
        }
        continue;
      }
      // Wait for kwok's pod-running stage, then own the containers' status.
      if (pods.has(key) || starting.has(key) || p.status?.phase !== 'Running') continue;
      starting.add(key);
      try {
        await start(p);
      } catch (err) {
        process.stderr.write(`box runtime: ${key}: ${(err as Error).message}\n`);
      } finally {
        starting.delete(key);
        if (!pods.has(key)) pods.set(key, { key, uid: p.metadata.uid, dir: '', containers: [] });
      }
    }
  };

  let lastRefresh = Date.now();
  const refreshVolumes = async () => {
    if (Date.now() - lastRefresh < VOLUME_REFRESH_MS) return;
    lastRefresh = Date.now();
    for (const inst of pods.values()) {
      if (inst.pod && inst.containers.length > 0) await writeVolumes(inst.pod, inst.dir, true);
    }
  };

  let loop: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    loop = loop
      .then(sync)
      .then(refreshVolumes)
      .catch((err: Error) => {
        process.stderr.write(`box runtime: ${err.message}\n`);
      });
  }, 500);

  return {
    logOf(ns, pod, container) {
      const inst = pods.get(`${ns}/${pod}`);
      const file =
        inst?.containers.find((c) => c.name === container)?.logFile ?? shells.get(`${ns}/${pod}`)?.logs.get(container);
      try {
        return file ? readFileSync(file, 'utf8') : '';
      } catch {
        return '';
      }
    },
    running: () => [...pods.values()].filter((p) => p.containers.length > 0).map((p) => p.key),
    async stop() {
      stopping = true;
      clearInterval(timer);
      await loop;
      await Promise.all([...pods.values()].map(stopInstance));
      for (const key of [...shells.keys()]) stopShell(key);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * Writes a process's output to a container log file in the CRI format
 * kubelet's runtimes write and kwok serves (`<time> <stream> F <line>`), so
 * `kubectl logs` reads it as on a real node.
 */
function writeCriLog(child: ChildProcess, log: WriteStream): void {
  for (const [stream, from] of [
    ['stdout', child.stdout!],
    ['stderr', child.stderr!],
  ] as const) {
    createInterface({ input: from }).on('line', (line) =>
      log.write(`${new Date().toISOString()} ${stream} F ${line}\n`),
    );
  }
}
