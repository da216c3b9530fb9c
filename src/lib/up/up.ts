// Step: `vk up`. The whole journey as one task list: prepare the node VMs,
// taint the nodes the CPI has not initialized, install the CPI, install the
// CSI driver, write the StorageClass, run the smoke test — in one process,
// over the command's one vSphere session and one kube client. Every step is
// the same idempotent step its own command runs, so a re-run resumes where a
// failed run stopped and, on a finished cluster, changes nothing (the smoke
// test still runs, in its own namespace, and cleans up). The run ends with
// the doctor's checks.

import type { V1Node } from '@kubernetes/client-node';
import type { Context } from '../core/context.js';
import { UsageError, VkError } from '../core/errors.js';
import { nestedProgress, type Task } from '../cli/progress.js';
import type { DryRunMode } from '../cli/flags.js';
import type { InstallCpiInput } from '../drivers/cpi/install.js';
import type { InstallCsiInput } from '../drivers/csi/install.js';
import type { StorageClassInput } from '../storage/storageclass.js';
import type { SmokeTestInput } from '../storage/smoke-test.js';

export const UP_STEPS = [
  'prepare-vms',
  'taint-nodes',
  'install-cpi',
  'install-csi',
  'storageclass',
  'smoke-test',
] as const;
export type UpStep = (typeof UP_STEPS)[number];

const TITLES: Record<UpStep, string> = {
  'prepare-vms': 'Prepare VMs (disk.enableUUID=TRUE)',
  'taint-nodes': 'Taint uninitialized nodes',
  'install-cpi': 'Install the vSphere CPI',
  'install-csi': 'Install the vSphere CSI driver',
  storageclass: 'StorageClass',
  'smoke-test': 'Smoke test',
};

export interface UpInput {
  skip: UpStep[];
  from?: UpStep;
  /** The node VMs' folder, for prepare-vms. */
  folder?: string;
  prepareConcurrency: number;
  /** Deadline for prepare-vms' reconfigure tasks (--timeout). */
  prepareTimeoutMs: number;
  cpi: InstallCpiInput;
  csi: InstallCsiInput;
  storageClass: StorageClassInput;
  smoke: SmokeTestInput;
  /** --url, for the smoke test's CNS lookup. */
  url?: string;
  /** Plan every step; change nothing. */
  dryRun: boolean;
  /** --dry-run's mode: with server, the API server validates the drivers' objects. */
  dryRunMode?: DryRunMode;
}

/** Which steps run; a skipped step maps to the reason. */
export function selectSteps(skip: UpStep[], from?: UpStep, dryRun = false): Map<UpStep, string | undefined> {
  const start = from ? UP_STEPS.indexOf(from) : 0;
  const reason = (s: UpStep, i: number) =>
    i < start
      ? `--from ${from}`
      : skip.includes(s)
        ? `--skip ${s}`
        : dryRun && s === 'smoke-test'
          ? 'dry run: it would create a volume'
          : undefined;
  return new Map(UP_STEPS.map((s, i) => [s, reason(s, i)]));
}

/** Everything a run would need, checked before any request (exit 2). */
export async function validateUpInput(input: UpInput): Promise<void> {
  if (input.from && input.skip.includes(input.from)) {
    throw new UsageError(`--from ${input.from} and --skip ${input.from} contradict each other`, {
      hint: 'start from a step that runs',
    });
  }
  const runs = selectSteps(input.skip, input.from);
  const missing: string[] = [];
  if (runs.get('prepare-vms') === undefined && !input.folder) missing.push("--folder (the node VMs' folder)");
  if (runs.get('storageclass') === undefined && !input.storageClass.datastore && !input.storageClass.policy) {
    missing.push('--datastore or --policy (for the StorageClass)');
  }
  if (missing.length) {
    const skips = [
      ...(missing[0]!.startsWith('--folder') ? ['prepare-vms'] : []),
      ...(missing.at(-1)!.startsWith('--datastore') ? ['storageclass'] : []),
    ];
    throw new UsageError(`missing ${missing.join(' and ')}`, {
      hint: `give ${missing.length > 1 ? 'them' : 'it'}, or --skip ${skips.join(' --skip ')}`,
    });
  }
  const [prepare, storageclass, smoke, common] = await Promise.all([
    import('../vms/prepare-vms.js'),
    import('../storage/storageclass.js'),
    import('../storage/smoke-test.js'),
    import('../drivers/install-common.js'),
  ]);
  if (input.folder) prepare.validatePrepareInput(prepareInput(input, undefined));
  if (runs.get('storageclass') === undefined) storageclass.validateStorageClassInput(input.storageClass);
  smoke.validateSmokeTestInput(input.smoke);
  common.validateInstallOptions(input.cpi);
  common.validateInstallOptions(input.csi);
}

/**
 * Before any step changes anything: a vSphere the CSI release cannot run on
 * (vCenter, the node VMs' hosts or hardware) stops the run here, rather than
 * after the VMs were reconfigured and the CPI installed. Its warnings are said
 * here, before the task list; the install-csi step then does not read and
 * check vSphere again.
 */
export async function preflightUp(ctx: Context, input: UpInput): Promise<UpInput> {
  if (selectSteps(input.skip, input.from).get('install-csi') !== undefined || input.csi.skipPreflight) return input;
  const [{ refuseUnsupportedVsphere }, { csiCheckedRelease }] = await Promise.all([
    import('../doctor/vsphere-requirements.js'),
    import('../drivers/csi/install.js'),
  ]);
  const kube = await ctx.kube();
  const [session, nodes, release] = await Promise.all([
    ctx.vsphere(),
    kube.list<V1Node>('v1', 'Node').then((l) => l.items),
    csiCheckedRelease(kube, input.csi),
  ]);
  await refuseUnsupportedVsphere(session, nodes, release, {
    warn: (m) => ctx.log.warn(m),
    hint: '--skip install-csi',
  });
  return { ...input, csi: { ...input.csi, vsphereChecked: true } };
}

const prepareInput = (input: UpInput, datacenter: string | undefined) => ({
  folder: input.folder ?? '',
  recursive: true,
  include: [],
  exclude: [],
  datacenter,
});

/** What the steps want said, kept for after the list: a live list on a terminal must not be written over. */
export interface UpMessages {
  info: string[];
  warnings: string[];
}

/**
 * The task list. With `messages` (a live list on a terminal), the steps' info
 * lines and warnings are kept there for after the list; without, they are
 * logged as they come.
 */
export function upTasks(outer: Context, input: UpInput, messages?: UpMessages): Task[] {
  const runs = selectSteps(input.skip, input.from, input.dryRun);
  const dryRun = input.dryRun;
  // Each line is said once: both installs would say which datacenters they serve.
  const said = new Set<string>();
  const once = (say: (m: string) => void) => (m: string) => {
    if (!said.has(m)) say(m);
    said.add(m);
  };
  const info = once(messages ? (m) => messages.info.push(m) : (m) => outer.log.info(m));
  const warnOnce = once(messages ? (m) => messages.warnings.push(m) : (m) => outer.log.warn(m));
  const ctx: Context = { ...outer, log: { ...outer.log, info, warn: warnOnce } };
  const warn = (m: string) => ctx.log.warn(m);
  const run: Record<UpStep, Task['run']> = {
    async 'prepare-vms'(update) {
      const steps = await import('../vms/prepare-vms.js');
      const session = await ctx.vsphere();
      update(`reading VMs under ${input.folder}`);
      const plan = await steps.planPrepareVms(session.client, prepareInput(input, session.options.datacenter));
      const toSet = plan.vms.filter((v) => v.action === 'set').length;
      if (toSet && !dryRun) update(`setting ${steps.ENABLE_UUID_KEY}=${steps.ENABLE_UUID_VALUE} on ${toSet} VMs`);
      const result = await steps.applyPrepareVms(session.client, plan, {
        concurrency: input.prepareConcurrency,
        dryRun,
        taskTimeoutMs: input.prepareTimeoutMs,
        signal: ctx.signal,
        progress: update,
      });
      const failed = result.vms.filter((v) => v.result === 'failed');
      if (failed.length) {
        throw new VkError(
          `${failed.length} of ${result.vms.length} VMs failed: ${failed[0]!.name}: ${failed[0]!.error}`,
        );
      }
      if (result.needPowerCycle.length && !dryRun) {
        warn(
          `${result.needPowerCycle.length} powered-on VMs see disk.enableUUID only after a full power cycle ` +
            `(guest shutdown and power on): ${result.needPowerCycle.join(', ')}; 'vk prepare-vms --power-cycle' does it`,
        );
      }
      return steps.summarizePrepareResult(result);
    },

    async 'taint-nodes'(update) {
      const steps = await import('../nodes/taint-nodes.js');
      const kube = await ctx.kube();
      const nodes = (await kube.list<V1Node>('v1', 'Node')).items;
      const names = nodes.filter((n) => !n.spec?.providerID).map((n) => n.metadata!.name!);
      if (!names.length) return `all ${nodes.length} nodes have a providerID; nothing to taint`;
      update(`tainting ${names.length} nodes`);
      const plan = await steps.planTaintNodes(kube, { names, operation: 'add' });
      const result = await steps.applyTaintNodes(kube, plan, { concurrency: 16, dryRun });
      const failed = result.nodes.find((n) => n.action === 'failed');
      if (failed) throw new VkError(`node ${failed.name}: ${failed.error}`);
      return steps.summarizeTaintResult(result);
    },

    async 'install-cpi'(update) {
      const steps = await import('../drivers/cpi/install.js');
      const { summarizeInstall } = await import('../drivers/install-common.js');
      const mode = !dryRun ? 'none' : input.dryRunMode === 'server' ? 'server' : 'client';
      const plan = await steps.planInstallCpi(ctx, { ...input.cpi, dryRun: mode });
      for (const s of plan.config.secrets) ctx.log.addSecret(s);
      if (mode === 'client') {
        return `${plan.manifest.version}: ${steps.cpiObjects(plan, true).length} objects would be applied${prunedNote(plan.prune)} (client dry run)`;
      }
      const result = await steps.applyInstallCpi(ctx, plan, nestedProgress(update));
      if (dryRun) return `${result.version}: ${summarizeInstall(result)} (server dry run)`;
      const err = steps.cpiVerificationError(result);
      if (err) throw err;
      return `${result.version}: ${summarizeInstall(result)}`;
    },

    async 'install-csi'(update) {
      const steps = await import('../drivers/csi/install.js');
      const { summarizeInstall } = await import('../drivers/install-common.js');
      // A dry run cannot wait for the CPI it did not install; and the API server
      // cannot validate objects in a namespace that does not exist yet.
      const kube = await ctx.kube();
      const mode = !dryRun
        ? 'none'
        : input.dryRunMode !== 'server'
          ? 'client'
          : (await kube.find({ apiVersion: 'v1', kind: 'Namespace', name: steps.CSI_NAMESPACE }))
            ? 'server'
            : 'client';
      const plan = await steps.planInstallCsi(ctx, { ...input.csi, dryRun: mode, skipPreflight: dryRun });
      for (const s of plan.config.secrets) ctx.log.addSecret(s);
      if (mode === 'client') {
        const n = steps.csiObjects(plan, true).length;
        return input.dryRunMode === 'server'
          ? `${plan.manifest.version}: ${n} objects would be created (namespace ${steps.CSI_NAMESPACE} does not exist yet)`
          : `${plan.manifest.version}: ${n} objects would be applied${prunedNote(plan.prune)} (client dry run)`;
      }
      const result = await steps.applyInstallCsi(ctx, plan, nestedProgress(update));
      if (dryRun) return `${result.version}: ${summarizeInstall(result)} (server dry run)`;
      const err = steps.csiVerificationError(result);
      if (err) throw err;
      return `${result.version}: ${summarizeInstall(result)}`;
    },

    async storageclass() {
      const steps = await import('../storage/storageclass.js');
      const plan = await steps.planStorageClass(ctx, input.storageClass, {
        vcenter: steps.vcenterConfigured(input.url, ctx.env),
      });
      plan.warnings.forEach(warn);
      const result = await steps.applyStorageClass(await ctx.kube(), plan, {
        dryRun,
        log: (line) => ctx.log.info(line),
      });
      const verb = dryRun
        ? { create: 'would be created', update: 'would be configured', unchanged: 'unchanged' }[result.action]
        : { create: 'created', update: 'configured', unchanged: 'unchanged' }[result.action];
      const on = result.datastore?.name ?? result.storageClass.parameters?.storagepolicyname;
      return `${input.storageClass.name}${on ? ` (${on})` : ''} ${verb}`;
    },

    async 'smoke-test'(update) {
      const steps = await import('../storage/smoke-test.js');
      const { volumeChecker } = await import('../storage/cns-volume.js');
      const plan = await steps.planSmokeTest(await ctx.kube(), input.smoke);
      const result = await steps.runSmokeTest(ctx, plan, {
        progress: nestedProgress(update),
        checkVolume: volumeChecker(ctx, { url: input.url }),
      });
      if (!result.passed) {
        const failed = result.steps.find((s) => s.status === 'failed');
        throw new VkError(
          result.interrupted
            ? `interrupted; namespace ${plan.namespace} ${result.cleanup}`
            : `${failed?.title ?? 'a step'} failed: ${failed?.message ?? 'failed'}`,
          { hint: "run 'vk smoke-test --keep' to inspect the objects" },
        );
      }
      const ds = result.volume.datastore ? ` on ${result.volume.datastore}` : '';
      return `a ${plan.size} volume of ${plan.storageClass}${ds} written and read back`;
    },
  };
  return UP_STEPS.map((id) => ({ id, title: TITLES[id], skip: runs.get(id), run: run[id] }));
}

/** "; 2 would be pruned" when a dry run's release leaves objects of an earlier one behind. */
const prunedNote = (prune: readonly unknown[]) => (prune.length ? `; ${prune.length} would be pruned` : '');
