// Step: prove a StorageClass works end to end. In a fresh namespace
// vk-smoke-<random>: a PVC that must bind, the CNS volume behind it checked in
// vCenter, a writer pod putting a random token on the volume and a reader pod
// that must read the same token back. Every step is timed; the namespace is
// deleted (and waited for) on success, failure, timeout and interrupt unless
// `keep` is set. With `snapshot`, the written volume is then snapshotted
// (a VolumeSnapshot that must become ready), restored into a new claim, and
// a third pod must read the same token from the restored volume. plan() resolves the inputs (default StorageClass, …) and
// writes nothing; run() executes the plan and returns a result document that
// the command prints and the JUnit writer turns into test cases.

import { randomBytes } from 'node:crypto';
import type {
  KubernetesObject,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1Pod,
  V1StorageClass,
} from '@kubernetes/client-node';
import { InterruptedError, UsageError, VkError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import type { VolumeChecker } from './cns-volume.js';
import type { Context } from '../core/context.js';
import { isNotFound, type KubeClient, type ObjectRef } from '../kube/client.js';
import { DEFAULT_CLASS_ANNOTATION, SNAPSHOT_API_VERSION, SNAPSHOT_GROUP } from '../snapshots/release.js';
import { formatDuration } from '../kube/duration.js';
import type { PodPhase } from '../kube/wait.js';
import type { Table } from '../cli/output.js';
import type { Progress, Task, TaskEnd } from '../cli/progress.js';
import { isDefaultStorageClass } from '../kube/storage-class.js';

export const DEFAULT_IMAGE = 'busybox:1.36';
export const DEFAULT_SIZE = '1Gi';
export const DEFAULT_TIMEOUT_MS = 5 * 60_000;
export const SMOKE_LABEL = 'vk.io/smoke-test';
const MOUNT = '/data';
/** Reader exit codes: the token file is missing, or holds another token. */
export const READER_EXIT_MISSING = 4;
export const READER_EXIT_MISMATCH = 3;

export type AccessMode = 'RWO' | 'RWX';
const accessModeNames: Record<AccessMode, string> = { RWO: 'ReadWriteOnce', RWX: 'ReadWriteMany' };

export interface SmokeTestInput {
  storageClass?: string;
  size?: string;
  accessMode?: AccessMode;
  image?: string;
  timeoutMs?: number;
  keep?: boolean;
  /** --snapshot: also snapshot the volume, restore it and read the token from the copy. */
  snapshot?: boolean;
  /** --snapshot-class (default: the driver's default VolumeSnapshotClass). */
  snapshotClass?: string;
}

export interface SmokeTestPlan {
  namespace: string;
  storageClass: string;
  provisioner: string;
  size: string;
  accessMode: AccessMode;
  image: string;
  timeoutMs: number;
  keep: boolean;
  token: string;
  /** The VolumeSnapshotClass, when the run takes a snapshot. */
  snapshotClass?: string;
}

export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface StepResult {
  name: StepName;
  title: string;
  status: StepStatus;
  durationMs: number;
  /** Why it failed or was skipped, or what it found (e.g. the datastore). */
  message?: string;
}

export type StepName =
  | 'namespace'
  | 'pvc-bound'
  | 'cns-volume'
  | 'writer'
  | 'reader'
  | 'snapshot'
  | 'restore'
  | 'restore-reader'
  | 'cleanup';

export interface SmokeTestResult {
  passed: boolean;
  namespace: string;
  storageClass: string;
  size: string;
  accessMode: AccessMode;
  image: string;
  volume: { claim: string; persistentVolume?: string; volumeHandle?: string; datastore?: string };
  /** With --snapshot: the VolumeSnapshot, its CSI snapshot handle and the restored claim. */
  snapshot?: {
    name: string;
    snapshotClass: string;
    snapshotHandle?: string;
    restoredClaim: string;
    restoredVolume?: string;
  };
  steps: StepResult[];
  /** deleted, kept (--keep) or failed. */
  cleanup: 'deleted' | 'kept' | 'failed';
  durationMs: number;
  startedAt: string;
  /** Ctrl-C/SIGTERM stopped the run (the namespace was still cleaned up). */
  interrupted: boolean;
}

/** The outcome of the vCenter check of the volume handle. */

/** A step: resolves with an optional detail (or a skip), rejects on failure. */
interface StepDef extends Task {
  id: StepName;
  run(): Promise<TaskEnd>;
}

const SIZE = /^[1-9][0-9]*(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;

/** Rejects bad input before any request (exit 2). */
export function validateSmokeTestInput(input: SmokeTestInput): void {
  if (input.size !== undefined && !SIZE.test(input.size)) {
    throw new UsageError(`invalid --size "${input.size}"`, { hint: 'use a Kubernetes quantity such as 1Gi or 500Mi' });
  }
  if (input.accessMode !== undefined && !(input.accessMode in accessModeNames)) {
    throw new UsageError(`invalid --access-mode "${input.accessMode}"`, { hint: 'use RWO or RWX' });
  }
  if (input.timeoutMs !== undefined && !(input.timeoutMs > 0)) {
    throw new UsageError('--timeout must be positive', { hint: 'e.g. --timeout 5m' });
  }
  if (input.image !== undefined && !/^[^\s]+$/.test(input.image)) {
    throw new UsageError(`invalid --image "${input.image}"`, {
      hint: 'e.g. --image registry.example.com/busybox:1.36',
    });
  }
}

/** Resolves the StorageClass (named, or the cluster default) and the names to use; writes nothing. */
export async function planSmokeTest(kube: KubeClient, input: SmokeTestInput): Promise<SmokeTestPlan> {
  validateSmokeTestInput(input);
  const classes = (await kube.list<V1StorageClass>('storage.k8s.io/v1', 'StorageClass')).items;
  const names = classes.map((c) => c.metadata!.name!).sort();
  const listed = names.length ? `the cluster has: ${names.join(', ')}` : 'the cluster has no StorageClasses';
  let sc: V1StorageClass | undefined;
  if (input.storageClass) {
    sc = classes.find((c) => c.metadata?.name === input.storageClass);
    if (!sc) {
      throw new UsageError(`storageclass "${input.storageClass}" not found`, {
        hint: `${listed}; 'vk storageclass create' makes one`,
      });
    }
  } else {
    const defaults = classes.filter(isDefaultStorageClass);
    if (defaults.length === 0) {
      throw new UsageError('the cluster has no default StorageClass', {
        hint: `pass --storage-class NAME (${listed}) or mark one with 'vk storageclass create NAME --default'`,
      });
    }
    // Like the admission plugin: the newest default wins when several are marked.
    sc = defaults.sort((a, b) =>
      String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')),
    )[0]!;
  }
  const snapshotClass = input.snapshot ? await pickSnapshotClass(kube, sc.provisioner, input.snapshotClass) : undefined;
  return {
    ...(snapshotClass ? { snapshotClass } : {}),
    namespace: `vk-smoke-${randomSuffix()}`,
    storageClass: sc.metadata!.name!,
    provisioner: sc.provisioner,
    size: input.size ?? DEFAULT_SIZE,
    accessMode: input.accessMode ?? 'RWO',
    image: input.image ?? DEFAULT_IMAGE,
    timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    keep: input.keep ?? false,
    token: randomBytes(16).toString('hex'),
  };
}

/** The named VolumeSnapshotClass, or the driver's default (or its only) one. */
async function pickSnapshotClass(kube: KubeClient, driver: string, name: string | undefined): Promise<string> {
  type Cls = KubernetesObject & { driver: string };
  let classes: Cls[];
  try {
    classes = (await kube.list<Cls>(SNAPSHOT_API_VERSION, 'VolumeSnapshotClass')).items;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw new UsageError('the cluster has no VolumeSnapshot CRDs, so --snapshot cannot run', {
      hint: "run 'vk install snapshots' first",
    });
  }
  const names = classes.map((c) => `${c.metadata!.name} (${c.driver})`).sort();
  const listed = names.length ? `the cluster has: ${names.join(', ')}` : 'the cluster has no VolumeSnapshotClasses';
  if (name) {
    const cls = classes.find((c) => c.metadata?.name === name);
    if (!cls) throw new UsageError(`volumesnapshotclass "${name}" not found`, { hint: listed });
    if (cls.driver !== driver) {
      throw new UsageError(`volumesnapshotclass "${name}" is for ${cls.driver}, not ${driver}`, { hint: listed });
    }
    return name;
  }
  const forDriver = classes.filter((c) => c.driver === driver);
  const defaults = forDriver.filter((c) => c.metadata?.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
  const pick = defaults.length === 1 ? defaults[0] : forDriver.length === 1 ? forDriver[0] : undefined;
  if (!pick) {
    throw new UsageError(
      forDriver.length === 0
        ? `no VolumeSnapshotClass for ${driver}`
        : `${driver} has ${defaults.length === 0 ? 'no default' : 'several default'} VolumeSnapshotClasses`,
      { hint: `pass --snapshot-class NAME (${listed}), or run 'vk install snapshots'` },
    );
  }
  return pick.metadata!.name!;
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'; // what Kubernetes uses for generateName
  return Array.from(randomBytes(5), (b) => alphabet[b % alphabet.length]).join('');
}

const CLAIM = 'vk-smoke';
const RESTORED_CLAIM = 'vk-smoke-restore';
const SNAPSHOT = 'vk-smoke';
const labels = { 'app.kubernetes.io/managed-by': 'vk', [SMOKE_LABEL]: 'true' };

export function claimObject(plan: SmokeTestPlan, restore = false): V1PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: restore ? RESTORED_CLAIM : CLAIM, namespace: plan.namespace, labels },
    spec: {
      accessModes: [accessModeNames[plan.accessMode]],
      storageClassName: plan.storageClass,
      resources: { requests: { storage: plan.size } },
      ...(restore ? { dataSource: { apiGroup: SNAPSHOT_GROUP, kind: 'VolumeSnapshot', name: SNAPSHOT } } : {}),
    },
  };
}

/** The VolumeSnapshot of the written claim. */
export function snapshotObject(plan: SmokeTestPlan): KubernetesObject {
  return {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VolumeSnapshot',
    metadata: { name: SNAPSHOT, namespace: plan.namespace, labels },
    spec: { volumeSnapshotClassName: plan.snapshotClass, source: { persistentVolumeClaimName: CLAIM } },
  } as KubernetesObject;
}

type SnapshotStatus = { readyToUse?: boolean; boundVolumeSnapshotContentName?: string; error?: { message?: string } };

const snapshotReady = (s: (KubernetesObject & { status?: SnapshotStatus }) | undefined) => {
  if (!s) return { done: false as const, missing: 'not found' };
  if (s.status?.readyToUse === true) return { done: true as const };
  const err = s.status?.error?.message;
  return { done: false as const, missing: err ? `not ready: ${err}` : 'not ready to use yet' };
};

/** The writer puts the token on the volume; the reader exits 0 only when it reads the same token back. */
export type PodRole = 'writer' | 'reader' | 'restore-reader';

export function podObject(plan: SmokeTestPlan, role: PodRole): V1Pod {
  const file = `${MOUNT}/vk-smoke-token`;
  const script =
    role === 'writer'
      ? `printf '%s' "$TOKEN" > ${file} && sync && echo "wrote token to ${file}"`
      : `[ -f ${file} ] || { echo "${file} does not exist"; exit ${READER_EXIT_MISSING}; }; ` +
        `got=$(cat ${file}); [ "$got" = "$TOKEN" ] || { echo "read token $got, expected $TOKEN"; exit ${READER_EXIT_MISMATCH}; }; ` +
        `echo "read token $got"`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `vk-smoke-${role}`,
      namespace: plan.namespace,
      labels: { ...labels, [`${SMOKE_LABEL}-role`]: role },
    },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: role,
          image: plan.image,
          command: ['sh', '-c', script],
          env: [{ name: 'TOKEN', value: plan.token }],
          volumeMounts: [{ name: 'data', mountPath: MOUNT }],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
        },
      ],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: role === 'restore-reader' ? RESTORED_CLAIM : CLAIM } },
      ],
    },
  };
}

export interface RunSmokeTestOptions {
  checkVolume: VolumeChecker;
  /** Shows the steps as they run (a listr2 list, plain lines, or another task's status line). */
  progress: Progress;
}

const titles: Record<StepName, string> = {
  namespace: 'Create namespace',
  'pvc-bound': 'PersistentVolumeClaim bound',
  'cns-volume': 'CNS volume in vCenter',
  writer: 'Writer pod wrote the token',
  reader: 'Reader pod read the token back',
  snapshot: 'VolumeSnapshot ready to use',
  restore: 'Claim restored from the snapshot bound',
  'restore-reader': 'Reader pod read the token from the restored volume',
  cleanup: 'Delete namespace',
};

/**
 * Runs the plan. Never throws for a failed check or an interrupt: the result
 * says which step failed and whether the run was interrupted.
 */
export async function runSmokeTest(
  ctx: Context,
  plan: SmokeTestPlan,
  opts: RunSmokeTestOptions,
): Promise<SmokeTestResult> {
  const kube = await ctx.kube();
  const started = Date.now();
  const result: SmokeTestResult = {
    passed: false,
    namespace: plan.namespace,
    storageClass: plan.storageClass,
    size: plan.size,
    accessMode: plan.accessMode,
    image: plan.image,
    volume: { claim: `${plan.namespace}/${CLAIM}` },
    steps: [],
    cleanup: plan.keep ? 'kept' : 'failed',
    durationMs: 0,
    startedAt: new Date(started).toISOString(),
    interrupted: false,
  };
  const wait = { timeoutMs: plan.timeoutMs, signal: ctx.signal };
  const ns = plan.namespace;
  let created = false;
  let snapshotted = false;

  const podDone = async (role: PodRole): Promise<string> => {
    const pod = podObject(plan, role);
    await kube.create(pod);
    const phases: PodPhase[] = ['Succeeded', 'Failed'];
    const done = (await kube.wait.podPhase({ namespace: ns, name: pod.metadata!.name! }, phases, wait)) as V1Pod;
    if (done.status?.phase === 'Succeeded') {
      return role === 'writer' ? 'token written' : 'read the same token back';
    }
    const reader = role !== 'writer';
    const term = done.status?.containerStatuses?.[0]?.state?.terminated;
    const code = term?.exitCode;
    if (reader && code === READER_EXIT_MISMATCH) {
      throw new VkError(`pod ${ns}/${pod.metadata!.name} read a different token than the writer wrote`);
    }
    if (reader && code === READER_EXIT_MISSING) {
      throw new VkError(`pod ${ns}/${pod.metadata!.name} found no token on the volume`);
    }
    const why = term ? `${term.reason ?? 'terminated'}, exit code ${code}` : (done.status?.reason ?? 'Failed');
    const events = await kube.events({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod.metadata!.name! }, 3);
    const ev = events.filter((e) => e.type === 'Warning').map((e) => `${e.reason}: ${e.message}`);
    throw new VkError(
      `pod ${ns}/${pod.metadata!.name} failed (${why})${ev.length ? `; events: ${ev.join(' | ')}` : ''}`,
    );
  };

  function snapshotSteps(): StepDef[] {
    const snap: NonNullable<SmokeTestResult['snapshot']> = (result.snapshot = {
      name: `${ns}/${SNAPSHOT}`,
      snapshotClass: plan.snapshotClass!,
      restoredClaim: `${ns}/${RESTORED_CLAIM}`,
    });
    return [
      {
        id: 'snapshot',
        title: `${titles.snapshot} (${plan.snapshotClass})`,
        run: async () => {
          await kube.create(snapshotObject(plan));
          snapshotted = true;
          const { waitFor } = await import('../kube/wait.js');
          const ref = { apiVersion: SNAPSHOT_API_VERSION, kind: 'VolumeSnapshot', namespace: ns, name: SNAPSHOT };
          const ready = (await waitFor(kube, ref, snapshotReady, wait)) as KubernetesObject & {
            status?: SnapshotStatus;
          };
          const content = ready.status?.boundVolumeSnapshotContentName;
          if (content) {
            const c = await kube.find<KubernetesObject & { status?: { snapshotHandle?: string } }>({
              apiVersion: SNAPSHOT_API_VERSION,
              kind: 'VolumeSnapshotContent',
              name: content,
            });
            if (c?.status?.snapshotHandle) snap.snapshotHandle = c.status.snapshotHandle;
          }
          return `ready as ${content ?? 'its content'}${snap.snapshotHandle ? ` (snapshot ${snap.snapshotHandle})` : ''}`;
        },
      },
      {
        id: 'restore',
        title: titles.restore,
        run: async () => {
          await kube.create(claimObject(plan, true));
          const bound = (await kube.wait.pvcBound(
            { namespace: ns, name: RESTORED_CLAIM },
            wait,
          )) as V1PersistentVolumeClaim;
          snap.restoredVolume = bound.spec?.volumeName;
          return `bound to ${bound.spec?.volumeName}`;
        },
      },
      { id: 'restore-reader', title: titles['restore-reader'], run: () => podDone('restore-reader') },
    ];
  }

  const steps: StepDef[] = [
    {
      id: 'namespace',
      title: `${titles.namespace} ${ns}`,
      run: async () => {
        await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } });
        created = true;
      },
    },
    {
      id: 'pvc-bound',
      title: `${titles['pvc-bound']} (${plan.storageClass}, ${plan.size}, ${plan.accessMode})`,
      run: async () => {
        await kube.create(claimObject(plan));
        const bound = (await kube.wait.pvcBound({ namespace: ns, name: CLAIM }, wait)) as V1PersistentVolumeClaim;
        result.volume.persistentVolume = bound.spec?.volumeName;
        return `bound to ${bound.spec?.volumeName}`;
      },
    },
    {
      id: 'cns-volume',
      title: titles['cns-volume'],
      run: async () => {
        const pvName = result.volume.persistentVolume;
        if (!pvName) return { skipped: 'the claim names no PersistentVolume' };
        const pv = await kube.get<V1PersistentVolume>({ apiVersion: 'v1', kind: 'PersistentVolume', name: pvName });
        const handle = pv.spec?.csi?.volumeHandle;
        if (!handle) return { skipped: `persistentvolume ${pvName} is not a CSI volume` };
        result.volume.volumeHandle = handle;
        const check = await opts.checkVolume(handle, ctx.signal);
        if (check.datastore) result.volume.datastore = check.datastore;
        if (check.status === 'failed') throw new VkError(check.message);
        return check.status === 'skipped' ? { skipped: check.message } : check.message;
      },
    },
    { id: 'writer', title: titles.writer, run: () => podDone('writer') },
    { id: 'reader', title: titles.reader, run: () => podDone('reader') },
    ...(plan.snapshotClass ? snapshotSteps() : []),
  ];

  const record = (def: StepDef): StepDef => ({
    ...def,
    run: async () => {
      const t0 = performance.now();
      try {
        const out = await def.run();
        const message = typeof out === 'object' ? out.skipped : out;
        result.steps.push({
          name: def.id,
          title: def.title,
          status: typeof out === 'object' ? 'skipped' : 'passed',
          durationMs: Math.round(performance.now() - t0),
          ...(message ? { message } : {}),
        });
        return out;
      } catch (err) {
        result.steps.push({
          name: def.id,
          title: def.title,
          status: 'failed',
          durationMs: Math.round(performance.now() - t0),
          message: ctx.signal.aborted
            ? `interrupted: ${(ctx.signal.reason as Error)?.message ?? 'aborted'}`
            : (err as Error).message,
        });
        throw err;
      }
    },
  });

  const ran = await opts.progress.list(steps.map(record));
  const interrupted = 'error' in ran && ctx.signal.aborted;
  for (const def of steps) {
    if (!result.steps.some((s) => s.name === def.id)) {
      result.steps.push({
        name: def.id,
        title: def.title,
        status: 'skipped',
        durationMs: 0,
        message: interrupted ? 'not run: interrupted' : 'not run: an earlier step failed',
      });
    }
  }

  if (!plan.keep && created) {
    const cleanup: StepDef = {
      id: 'cleanup',
      title: `${titles.cleanup} ${ns}`,
      run: async () => {
        // The VolumeSnapshot goes first, while its source claim still exists: deleting
        // both at once (the namespace's way) can leave the snapshot-controller with a
        // content whose finalizer it never removes, and the namespace terminating.
        const first = snapshotted
          ? [{ apiVersion: SNAPSHOT_API_VERSION, kind: 'VolumeSnapshot', namespace: ns, name: SNAPSHOT }]
          : [];
        await deleteNamespace(kube, ns, Math.max(plan.timeoutMs, 60_000), first);
        result.cleanup = 'deleted';
      },
    };
    await opts.progress.list([record(cleanup)]);
  } else if (plan.keep) {
    ctx.log.info(`kept namespace ${ns} (--keep); delete it with: kubectl delete namespace ${ns}`);
  } else {
    result.cleanup = 'deleted'; // nothing was created
  }

  result.durationMs = Date.now() - started;
  result.interrupted = interrupted;
  result.passed = !interrupted && result.steps.every((s) => s.status !== 'failed');
  return result;
}

/**
 * Deletes the namespace and waits until it is gone. It must work after
 * Ctrl-C, when the client's own signal has already fired, so it runs on a
 * signal of its own and polls instead of using the (client-signal bound)
 * watch waiters.
 */
export async function deleteNamespace(
  kube: KubeClient,
  name: string,
  timeoutMs: number,
  first: ObjectRef[] = [],
): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  const ref = { apiVersion: 'v1', kind: 'Namespace', name };
  try {
    // Objects to see gone before the namespace goes; a namespace deletion still follows if they linger.
    for (const obj of first) {
      await kube.delete(obj, { signal });
      const until = Date.now() + timeoutMs / 2;
      while (Date.now() < until && (await kube.find(obj, signal))) await new Promise((r) => setTimeout(r, 250));
    }
    await kube.delete(ref, { propagationPolicy: 'Foreground', signal });
    for (;;) {
      const ns = await kube.find(ref, signal);
      if (!ns) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (err) {
    if (signal.aborted) {
      throw new VkError(`namespace ${name} still terminating after ${formatDuration(timeoutMs)}`, {
        hint: `check it with: kubectl get namespace ${name} -o yaml`,
      });
    }
    throw err;
  }
}

/** The human summary on stdout: one row per step. */
export function formatSmokeTestResult(r: SmokeTestResult): Table {
  return {
    columns: ['step', 'result', 'duration', 'details'],
    rows: r.steps.map((s) => [s.title, s.status.toUpperCase(), formatDuration(s.durationMs), s.message]),
  };
}

/** JUnit report: suite "vk smoke-test", one test case per step (cleanup included). */
export async function writeJUnitReport(
  file: string,
  plan: SmokeTestPlan,
  r: SmokeTestResult | undefined,
): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  const { junitXml } = await import('./junit.js');
  const xml = junitXml({
    name: 'vk smoke-test',
    timestamp: r?.startedAt ?? new Date().toISOString(),
    durationMs: r?.durationMs ?? 0,
    properties: {
      namespace: plan.namespace,
      storageClass: plan.storageClass,
      size: plan.size,
      accessMode: plan.accessMode,
      image: plan.image,
      ...(r?.volume.volumeHandle ? { volumeHandle: r.volume.volumeHandle } : {}),
      ...(r?.volume.datastore ? { datastore: r.volume.datastore } : {}),
      ...(plan.snapshotClass ? { snapshotClass: plan.snapshotClass } : {}),
      ...(r?.snapshot?.snapshotHandle ? { snapshotHandle: r.snapshot.snapshotHandle } : {}),
    },
    cases: (r?.steps ?? []).map((s) => ({
      name: s.title,
      classname: `vk.smoke-test.${s.name}`,
      durationMs: s.durationMs,
      status: s.status,
      message: s.message,
    })),
  });
  try {
    await writeFile(file, xml);
  } catch (err) {
    throw new VkError(
      `cannot write the JUnit report to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        hint: 'check that the directory exists and is writable',
      },
    );
  }
}

export interface SmokeStepInput extends SmokeTestInput {
  /** --url: where the CNS volume and vSAN File Services are checked (else GOVC_URL, the config file). */
  url?: string;
}

export type SmokeStepPlan = SmokeTestPlan & Pick<SmokeStepInput, 'url'>;

/** The smoke test as a step. It has no dry run: it exists to create a volume (vk up skips it in a dry run). */
export const smokeTestStep: Step<SmokeStepInput, SmokeStepPlan, SmokeTestResult> = {
  id: 'smoke-test',
  title: 'Smoke test',
  validate: validateSmokeTestInput,
  async plan(ctx, input) {
    const plan = await planSmokeTest(await ctx.kube(), input);
    // Nothing is created when ReadWriteMany cannot work on the nodes' clusters.
    await (await import('./file-services.js')).assertFileServicesForRwx(ctx, plan, input);
    return { ...plan, url: input.url };
  },
  describe: ({ namespace, storageClass, size, accessMode, image, snapshotClass }) => ({
    namespace,
    storageClass,
    size,
    accessMode,
    image,
    snapshotClass,
  }),
  async apply(ctx, plan, run) {
    const { volumeChecker } = await import('./cns-volume.js');
    return runSmokeTest(ctx, plan, { progress: run.progress, checkVolume: volumeChecker(ctx, plan) });
  },
  summary: (r) =>
    `a ${r.size} volume of ${r.storageClass}${r.volume.datastore ? ` on ${r.volume.datastore}` : ''} written and read back` +
    (r.snapshot ? ', snapshot restored and read back' : ''),
  failure(r) {
    if (r.interrupted) return new InterruptedError(`interrupted; namespace ${r.namespace} ${r.cleanup}`);
    if (r.passed) return undefined;
    const failed = r.steps.find((s) => s.status === 'failed');
    return new VkError(`smoke test failed: ${failed?.title ?? 'a step'}: ${failed?.message ?? 'failed'}`, {
      hint: r.cleanup === 'kept' ? undefined : "run 'vk smoke-test --keep' to inspect the objects",
    });
  },
};
