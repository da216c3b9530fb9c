// Builds the box's real components from their Go modules under test/box/<module>/
// (go.mod + go.sum pin every version). Binaries are cached by module and
// version in ~/.cache/vk-box/<module>-<version>-<hash of go.mod/go.sum>/
// (VK_BOX_CACHE overrides; shared by every checkout of the project), and
// the Go build cache is reused, so only the first run pays for the compile.
// A cold build prints its progress to stderr: the Kubernetes one takes many
// minutes on two cores.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  CPI_VERSION,
  CSI_ATTACHER_VERSION,
  CSI_PROVISIONER_VERSION,
  GOVMOMI_VERSION,
  KUBERNETES_VERSION,
  KWOK_VERSION,
  SNAPSHOTTER_VERSION,
} from './versions.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const boxRoot = join(repoRoot, 'test', 'box');
const binRoot = process.env.VK_BOX_CACHE ?? join(homedir(), '.cache', 'vk-box');

interface GoCommand {
  /** Import path of the main package. */
  pkg: string;
  /** Name of the binary. */
  bin: string;
}

export interface GoModuleBuild {
  /** Folder under test/box holding go.mod/go.sum. */
  module: string;
  /** The release it pins, for the cache key and the progress line. */
  version: string;
  commands: GoCommand[];
  ldflags?: string;
  /** How long a cold build took on the project's 2-core machine, for the progress line. */
  coldEstimate: string;
}

function k8sVersionLdflags(version: string): string {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const vars: Record<string, string> = {
    gitVersion: version,
    gitMajor: major!,
    gitMinor: minor!,
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
  };
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']
    .flatMap((p) => Object.entries(vars).map(([k, v]) => `-X ${p}.${k}=${v}`))
    .join(' ');
}

export const KUBE_BUILD: GoModuleBuild = {
  module: 'kube',
  version: KUBERNETES_VERSION,
  commands: [
    { pkg: 'go.etcd.io/etcd/server/v3', bin: 'etcd' },
    { pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', bin: 'kube-apiserver' },
    { pkg: 'k8s.io/kubernetes/cmd/kube-controller-manager', bin: 'kube-controller-manager' },
    { pkg: 'k8s.io/kubernetes/cmd/kube-scheduler', bin: 'kube-scheduler' },
    { pkg: 'k8s.io/kubernetes/cmd/kubectl', bin: 'kubectl' },
  ],
  ldflags: k8sVersionLdflags(KUBERNETES_VERSION),
  coldEstimate: 'about 17 minutes',
};

export const KWOK_BUILD: GoModuleBuild = {
  module: 'kwok',
  version: KWOK_VERSION,
  commands: [{ pkg: 'sigs.k8s.io/kwok/cmd/kwok', bin: 'kwok' }],
  ldflags: `-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION}`,
  coldEstimate: 'about 3 minutes',
};

export const CPI_BUILD: GoModuleBuild = {
  module: 'cpi',
  version: CPI_VERSION,
  commands: [
    {
      pkg: 'k8s.io/cloud-provider-vsphere/cmd/vsphere-cloud-controller-manager',
      bin: 'vsphere-cloud-controller-manager',
    },
  ],
  // As the CPI's Makefile stamps its release.
  ldflags: `-X main.version=${CPI_VERSION} -X k8s.io/component-base/version.gitVersion=${CPI_VERSION}`,
  coldEstimate: 'about 25 minutes',
};

export const CSI_PROVISIONER_BUILD: GoModuleBuild = {
  module: 'csi-provisioner',
  version: CSI_PROVISIONER_VERSION,
  commands: [{ pkg: 'github.com/kubernetes-csi/external-provisioner/v5/cmd/csi-provisioner', bin: 'csi-provisioner' }],
  ldflags: `-X main.version=${CSI_PROVISIONER_VERSION}`,
  coldEstimate: 'about 10 minutes',
};

export const CSI_ATTACHER_BUILD: GoModuleBuild = {
  module: 'csi-attacher',
  version: CSI_ATTACHER_VERSION,
  commands: [{ pkg: 'github.com/kubernetes-csi/external-attacher/v4/cmd/csi-attacher', bin: 'csi-attacher' }],
  ldflags: `-X main.version=${CSI_ATTACHER_VERSION}`,
  coldEstimate: 'about 10 minutes',
};

/** external-snapshotter: the snapshot-controller and the csi-snapshotter sidecar, one release. */
export const SNAPSHOTTER_BUILD: GoModuleBuild = {
  module: 'snapshotter',
  version: SNAPSHOTTER_VERSION,
  commands: [
    { pkg: 'github.com/kubernetes-csi/external-snapshotter/v8/cmd/snapshot-controller', bin: 'snapshot-controller' },
    { pkg: 'github.com/kubernetes-csi/external-snapshotter/v8/cmd/csi-snapshotter', bin: 'csi-snapshotter' },
  ],
  ldflags: `-X main.version=${SNAPSHOTTER_VERSION}`,
  coldEstimate: 'about 4 minutes',
};

/** The box's stand-in for the vSphere CSI driver's controller (see test/README.md). */
export const CSI_STANDIN_BUILD: GoModuleBuild = {
  module: 'csi-standin',
  version: GOVMOMI_VERSION,
  commands: [{ pkg: 'vk.test/box/csi-standin', bin: 'csi-standin' }],
  coldEstimate: 'about 6 minutes',
};

function cacheDirOf(b: GoModuleBuild): string {
  const h = createHash('sha256');
  // The module's own sources too (csi-standin is code of ours; tools.go only pins what the
  // others build): an edit must not reuse a stale binary.
  const own = readdirSync(join(boxRoot, b.module))
    .filter((f) => f.endsWith('.go') && f !== 'tools.go')
    .sort();
  for (const f of ['go.mod', 'go.sum', ...own]) h.update(readFileSync(join(boxRoot, b.module, f)));
  h.update(b.ldflags ?? '');
  return join(binRoot, `${b.module}-${b.version}-${h.digest('hex').slice(0, 12)}`);
}

/** Path of each binary of a build, whether built yet or not. */
export function binariesOf(b: GoModuleBuild): Record<string, string> {
  const dir = cacheDirOf(b);
  return Object.fromEntries(b.commands.map((c) => [c.bin, join(dir, c.bin)]));
}

export function isBuilt(b: GoModuleBuild): boolean {
  return Object.values(binariesOf(b)).every((p) => existsSync(p));
}

function say(line: string): void {
  process.stderr.write(`box: ${line}\n`);
}

function goBuild(b: GoModuleBuild, cmd: GoCommand, out: string): Promise<number> {
  const args = ['build', '-mod=readonly', '-trimpath', '-v', '-o', out];
  args.push('-ldflags', `-s -w ${b.ldflags ?? ''}`.trim(), cmd.pkg);
  const child = spawn('go', args, {
    cwd: join(boxRoot, b.module),
    env: { ...process.env, CGO_ENABLED: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let compiled = 0;
  const tail: string[] = [];
  const started = Date.now();
  createInterface({ input: child.stderr! }).on('line', (line) => {
    // `go build -v` names each package it compiles (cached ones are not named).
    if (/^[\w.-]+(\/[\w.~+-]+)*$/.test(line)) {
      compiled++;
      if (compiled % 200 === 0)
        say(`  ${cmd.bin}: ${compiled} packages compiled (${Math.round((Date.now() - started) / 1000)} s)`);
    } else {
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  });
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolvePromise(compiled);
      reject(new Error(`go build ${cmd.pkg} (test/box/${b.module}) failed:\n${tail.join('\n')}`));
    });
  });
}

/** Builds what is missing of one module; returns the binaries' paths. */
export async function ensureBuilt(b: GoModuleBuild): Promise<Record<string, string>> {
  const bins = binariesOf(b);
  if (isBuilt(b)) return bins;
  const dir = cacheDirOf(b);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const started = Date.now();
  say(
    `building ${b.module} ${b.version} from its Go module (first run: ${b.coldEstimate} on 2 cores; cached afterwards)`,
  );
  try {
    // One binary at a time: each `go build` already uses every core, and the
    // shared packages compiled for the first are cache hits for the next.
    for (const cmd of b.commands) {
      const t = Date.now();
      const n = await goBuild(b, cmd, join(tmp, cmd.bin));
      say(`  ${cmd.bin} built (${n} packages compiled, ${Math.round((Date.now() - t) / 1000)} s)`);
    }
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  say(`${b.module} ${b.version} ready in ${Math.round((Date.now() - started) / 1000)} s`);
  return bins;
}

/** Every module of the box. */
export const BOX_BUILDS: readonly GoModuleBuild[] = [
  KUBE_BUILD,
  KWOK_BUILD,
  CPI_BUILD,
  CSI_PROVISIONER_BUILD,
  CSI_ATTACHER_BUILD,
  SNAPSHOTTER_BUILD,
  CSI_STANDIN_BUILD,
];

export async function ensureBoxBuilt(): Promise<void> {
  for (const b of BOX_BUILDS) await ensureBuilt(b);
}

// `tsx test/box/build.ts`: build everything (for CI's first step and by hand).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureBoxBuilt().catch((err: Error) => {
    say(err.message);
    process.exit(1);
  });
}
