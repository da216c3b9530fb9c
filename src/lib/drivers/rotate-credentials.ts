// Step: a driver account's new password, into the driver. plan() reads the
// Secret vk installed for the CPI or the CSI driver, finds the account in it
// and checks the new password with one login to vCenter (a wrong one ends
// here: nothing changed). apply() writes only that password into the Secret
// (every other key and line as it was), restarts the workload that reads the
// Secret at start (the CPI DaemonSet; the CSI controller Deployment) as
// `kubectl rollout restart` does, waits for the rollout, and proves it: the
// new pods stay ready with no login failure in their log, and for the CSI
// driver a volume is provisioned and deleted.

import type { V1PersistentVolumeClaim, V1Pod, V1Secret, V1StorageClass } from '@kubernetes/client-node';
import type { Progress } from '../cli/progress.js';
import type { Context } from '../core/context.js';
import { UsageError, VkError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import type { Secret } from '../core/secret.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { DRIVER_LOG_TAIL_LINES, LOGIN_FAILURE, logExcerpt } from '../kube/logs.js';
import { isDefaultStorageClass } from '../kube/storage-class.js';
import { iniValue, parseIni, setIniValue, type ParsedIniSection } from './ini.js';
import { csiConfKey, csiSecret } from './csi/config.js';
import { cpiSecretDefaults } from './cpi/config.js';
import { timedRollout, type Rollout } from './install-common.js';
import { generateDeps } from './generate.js';
import { CPI_DAEMONSET, CSI_CONTROLLER, CSI_DRIVER_NAME, type DriverWorkload } from './names.js';

export type RotateComponent = 'cpi' | 'csi';

export interface RotateInput {
  component: RotateComponent;
  /** The account whose password changed (default: the only one in the Secret). */
  username?: string;
  password: Secret;
  timeoutMs: number;
  dryRun: boolean;
  /** CSI: the StorageClass of the proving volume (default: the cluster's default; none: no volume). */
  storageClass?: string;
}

/** The workload each component restarts; its driver container's log shows the login. */
const WORKLOADS: Record<RotateComponent, DriverWorkload> = { cpi: CPI_DAEMONSET, csi: CSI_CONTROLLER };
const SECRETS: Record<RotateComponent, { namespace: string; name: string }> = {
  cpi: cpiSecretDefaults,
  csi: csiSecret,
};

export interface RotatePlan {
  input: RotateInput;
  secret: { namespace: string; name: string };
  username: string;
  /** The vCenter servers of the config whose entry is this account. */
  servers: string[];
  /** The Secret's data with the new password (base64, as the API holds it). */
  data: Record<string, string>;
  /** The new password is the one the Secret holds already. */
  unchanged: boolean;
  workload: DriverWorkload;
  /** CSI: where the proving volume is made; undefined: none (with the reason in `volumeSkipped`). */
  storageClass?: string;
  volumeSkipped?: string;
}

export interface RotateResult {
  component: RotateComponent;
  secret: string;
  username: string;
  servers: string[];
  action: 'rotated' | 'unchanged' | 'would rotate';
  rollout: Rollout | null;
  proof: { pods: string[]; volume: string | null };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));

/** Reads the Secret, finds the account, checks the new password with a login; writes nothing. */
export async function planRotate(
  ctx: Context,
  input: RotateInput,
  deps: { verifyLogin(username: string, password: Secret): Promise<void>; vcenterHost(): Promise<string> },
): Promise<RotatePlan> {
  const kube = await ctx.kube();
  const ref = SECRETS[input.component];
  const what = input.component.toUpperCase();
  let secret: V1Secret;
  try {
    secret = await kube.get<V1Secret>({ apiVersion: 'v1', kind: 'Secret', ...ref });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw new VkError(`no ${what} Secret ${ref.namespace}/${ref.name} in the cluster`, {
      hint: `install the driver first: vk install ${input.component}`,
    });
  }
  const data = { ...(secret.data ?? {}) };
  const accounts =
    input.component === 'cpi' ? cpiAccounts(data) : csiAccounts(unb64(data[csiConfKey]) ?? '', ref, csiConfKey);
  const users = [...new Set(accounts.map((a) => a.username))].sort();
  const flag = `--${input.component}-username`;
  if (users.length === 0) throw new VkError(`the ${what} Secret ${ref.namespace}/${ref.name} names no vCenter account`);
  const username = input.username ?? (users.length === 1 ? users[0]! : undefined);
  if (username === undefined) {
    throw new UsageError(`the ${what} Secret has several accounts (${users.join(', ')}); pick one with ${flag}`);
  }
  const mine = accounts.filter((a) => a.username.toLowerCase() === username.toLowerCase());
  if (mine.length === 0) {
    throw new UsageError(`${username} is not the ${what}'s account; its Secret has ${users.join(', ')}`, {
      hint: `pass ${flag} ${users[0]}`,
    });
  }
  // vk checks the password against the vCenter it is connected to: it must be the driver's.
  const host = (await deps.vcenterHost()).toLowerCase();
  const servers = mine.map((a) => a.server);
  if (!servers.some((s) => s.toLowerCase() === host)) {
    throw new UsageError(`the ${what} logs in to ${servers.join(', ')}, but vk is connected to ${host}`, {
      hint: `connect vk to the driver's vCenter: --url ${servers[0]}`,
    });
  }
  ctx.log.addSecret(input.password);
  ctx.log.info(`checking the new password of ${username} with a login`);
  try {
    await deps.verifyLogin(username, input.password);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new VkError(`the new password of ${username} does not work: ${reason}; nothing was changed`, {
      hint: `change it in vCenter first (SSO), then run this again with the new one`,
      cause: err,
    });
  }
  const unchanged = mine.every((a) => a.password === input.password.reveal());
  const next =
    input.component === 'cpi'
      ? { ...data, ...Object.fromEntries(mine.map((a) => [`${a.server}.password`, b64(input.password.reveal())])) }
      : {
          ...data,
          [csiConfKey]: b64(
            setIniValue(
              unb64(data[csiConfKey])!,
              (s) => isAccountSection(s) && iniValue(s, 'user')?.toLowerCase() === username.toLowerCase(),
              'password',
              input.password.reveal(),
            ),
          ),
        };
  const plan: RotatePlan = {
    input,
    secret: ref,
    username,
    servers,
    data: next,
    unchanged,
    workload: WORKLOADS[input.component],
  };
  if (input.component === 'csi') Object.assign(plan, await provingClass(kube, input.storageClass));
  return plan;
}

interface Account {
  server: string;
  username: string;
  password?: string;
}

/** The CPI Secret's `<server>.username` / `<server>.password` pairs. */
function cpiAccounts(data: Record<string, string>): Account[] {
  return Object.keys(data)
    .filter((k) => k.endsWith('.username'))
    .map((k) => {
      const server = k.slice(0, -'.username'.length);
      return { server, username: unb64(data[k])!, password: unb64(data[`${server}.password`]) };
    });
}

const isAccountSection = (s: ParsedIniSection) => s.name.toLowerCase() === 'virtualcenter' && !!s.subsection;

/** The CSI config's `[VirtualCenter "server"]` sections with a user. */
function csiAccounts(conf: string, ref: { namespace: string; name: string }, key: string): Account[] {
  let sections: ParsedIniSection[];
  try {
    sections = parseIni(conf);
  } catch (err) {
    throw new VkError(`cannot read ${key} in Secret ${ref.namespace}/${ref.name}: ${(err as Error).message}`);
  }
  return sections
    .filter((s) => isAccountSection(s) && iniValue(s, 'user'))
    .map((s) => ({ server: s.subsection!, username: iniValue(s, 'user')!, password: iniValue(s, 'password') }));
}

async function provingClass(
  kube: KubeClient,
  wanted: string | undefined,
): Promise<{ storageClass?: string; volumeSkipped?: string }> {
  const classes = (await kube.list<V1StorageClass>('storage.k8s.io/v1', 'StorageClass')).items;
  if (wanted) {
    if (!classes.some((c) => c.metadata?.name === wanted)) {
      throw new UsageError(`storageclass "${wanted}" not found`, {
        hint: `the cluster has: ${classes.map((c) => c.metadata!.name!).join(', ') || 'none'}`,
      });
    }
    return { storageClass: wanted };
  }
  const def = classes.find((c) => isDefaultStorageClass(c) && c.provisioner === CSI_DRIVER_NAME);
  return def
    ? { storageClass: def.metadata!.name! }
    : { volumeSkipped: 'no default StorageClass of the CSI driver (pass --storage-class to prove it with a volume)' };
}

export async function applyRotate(ctx: Context, plan: RotatePlan, progress: Progress): Promise<RotateResult> {
  const kube = await ctx.kube();
  const { input, workload } = plan;
  const base = {
    component: input.component,
    secret: `${plan.secret.namespace}/${plan.secret.name}`,
    username: plan.username,
    servers: plan.servers,
  };
  if (plan.unchanged) {
    return { ...base, action: 'unchanged', rollout: null, proof: { pods: [], volume: null } };
  }
  if (input.dryRun) return { ...base, action: 'would rotate', rollout: null, proof: { pods: [], volume: null } };
  const deadline = Date.now() + input.timeoutMs;
  await progress.step(`Update Secret ${base.secret}`, () =>
    kube.patch({ apiVersion: 'v1', kind: 'Secret', ...plan.secret }, { data: plan.data }, 'merge'),
  );
  // The drivers read the Secret at start: restart them as `kubectl rollout restart` does.
  const restartedAt = new Date();
  const apiVersion = 'apps/v1';
  await progress.step(`Restart ${workload.kind} ${workload.namespace}/${workload.name}`, () =>
    kube.patch(
      { apiVersion, kind: workload.kind, namespace: workload.namespace, name: workload.name },
      {
        spec: {
          template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt.toISOString() } } },
        },
      },
      'merge',
    ),
  );
  const rollout = await progress.step(`Wait for the ${workload.kind}`, (update) =>
    timedRollout(kube, workload.kind, workload, deadline, update),
  );
  const pods = await progress.step('Prove the driver logs in with the new password', () =>
    proveLogin(kube, workload, restartedAt, deadline),
  );
  let volume: string | null = null;
  if (plan.storageClass) {
    volume = await progress.step(`Prove it provisions a volume of ${plan.storageClass}`, () =>
      proveVolume(kube, plan.storageClass!, deadline),
    );
  } else if (plan.volumeSkipped) {
    await progress.skip('Prove it provisions a volume', plan.volumeSkipped);
  }
  return { ...base, action: 'rotated', rollout, proof: { pods, volume } };
}

/** How long the restarted pods must stay ready, without a restart or a login failure, to count as logged in. */
const SETTLE_MS = 10_000;

async function proveLogin(kube: KubeClient, w: DriverWorkload, since: Date, deadline: number): Promise<string[]> {
  let stableSince: number | undefined;
  for (;;) {
    const pods = (await kube.list<V1Pod>('v1', 'Pod', { namespace: w.namespace })).items.filter(
      (p) =>
        !p.metadata?.deletionTimestamp &&
        p.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] === since.toISOString(),
    );
    for (const p of pods) {
      const log = await kube
        .podLog(w.namespace, p.metadata!.name!, { container: w.container, tailLines: DRIVER_LOG_TAIL_LINES })
        .catch(() => '');
      const failure = log.split('\n').findLast((l) => LOGIN_FAILURE.test(l));
      if (failure) {
        throw new VkError(
          `${p.metadata!.name} cannot log in with the new password (its log: "${logExcerpt(failure)}")`,
          { hint: `the Secret holds the new password; check the account in vCenter, then run this again` },
        );
      }
    }
    const steady =
      pods.length > 0 &&
      pods.every((p) =>
        (p.status?.containerStatuses ?? []).some((c) => c.name === w.container && c.ready && !c.lastState?.terminated),
      );
    const now = Date.now();
    if (!steady) stableSince = undefined;
    else if ((stableSince ??= now) + SETTLE_MS <= now) return pods.map((p) => p.metadata!.name!).sort();
    if (now >= deadline) {
      throw new VkError(`the restarted ${w.kind} ${w.namespace}/${w.name} did not stay ready with the new password`, {
        hint: `check 'kubectl -n ${w.namespace} logs ${w.kind.toLowerCase()}/${w.name} -c ${w.container}'`,
      });
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A 1Gi claim in a namespace of its own, Bound, then the namespace deleted; the claim's volume name. */
async function proveVolume(kube: KubeClient, storageClass: string, deadline: number): Promise<string> {
  const { deleteNamespace } = await import('../storage/smoke-test.js');
  const namespace = `vk-rotate-${Date.now().toString(36)}`;
  const labels = { 'app.kubernetes.io/managed-by': 'vk' };
  await kube.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels } });
  try {
    const claim: V1PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'vk-rotate', namespace, labels },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: storageClass,
        resources: { requests: { storage: '1Gi' } },
      },
    };
    await kube.create(claim);
    const bound = await kube.wait.pvcBound(
      { namespace, name: 'vk-rotate' },
      { timeoutMs: Math.max(1, deadline - Date.now()) },
    );
    return (bound as V1PersistentVolumeClaim).spec?.volumeName ?? '';
  } finally {
    await deleteNamespace(kube, namespace, 120_000).catch(() => undefined);
  }
}

/** What rotate-credentials proved, in one line; a dry run: what it would do. */
function rotateSummary(r: RotateResult): string {
  const upper = r.component.toUpperCase();
  if (r.action === 'would rotate') {
    return `dry run: the new password works; would update ${r.secret} and restart the ${upper}; nothing was changed`;
  }
  if (r.action === 'unchanged') return `the ${upper} Secret holds this password already; nothing to change`;
  const proof = [`${r.proof.pods.length} pod(s) ready without a login failure`];
  if (r.proof.volume) proof.push(`volume ${r.proof.volume} provisioned and deleted`);
  return `${upper}: the new password of ${r.username} is in use: ${proof.join('; ')}`;
}

/** The new password into the driver's Secret, the driver restarted, the login proven (the password checked first). */
export const rotateStep: Step<Omit<RotateInput, 'dryRun'>, RotatePlan, RotateResult> = {
  id: 'rotate-credentials',
  title: 'Rotate the driver account password',
  validate: () => undefined,
  async plan(ctx, input, run) {
    const deps = generateDeps(ctx);
    return planRotate(
      ctx,
      { ...input, dryRun: run.dryRun !== 'none' },
      {
        verifyLogin: deps.verifyLogin,
        vcenterHost: async () => (await ctx.vsphere()).options.url.hostname,
      },
    );
  },
  describe: ({ secret, username, servers, unchanged, storageClass, volumeSkipped }) => ({
    secret,
    username,
    servers,
    unchanged,
    storageClass,
    volumeSkipped,
  }),
  apply: (ctx, plan, run) => applyRotate(ctx, plan, run.progress),
  summary: rotateSummary,
  failure: () => undefined,
};
