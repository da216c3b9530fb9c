// `vk up`: the whole journey as a loop over the same steps the single
// commands run (src/lib/core/step.ts) — prepare the node VMs, taint the nodes
// the CPI has not initialized, install the CPI, install the CSI driver, write
// the StorageClass, run the smoke test — in one process, over the command's
// one vSphere session and one kube client. Every step is idempotent, so a
// re-run resumes where a failed run stopped and, on a finished cluster,
// changes nothing (the smoke test still runs, in its own namespace, and
// cleans up). The run ends with the doctor's checks.

import type { V1Node } from '@kubernetes/client-node';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { runStep, type AnyStep, type DryRunMode, type StepRun } from '../core/step.js';
import { createProgress, nestedProgress, type Task, type TaskOutcome } from '../cli/progress.js';
import type { PrepareStepInput } from '../vms/prepare-vms.js';
import type { TaintStepInput } from '../nodes/taint-nodes.js';
import type { InstallCpiInput } from '../drivers/cpi/install.js';
import type { InstallCsiStepInput } from '../drivers/csi/install.js';
import type { StorageClassStepInput } from '../storage/storageclass.js';
import type { SmokeStepInput } from '../storage/smoke-test.js';
import type { DoctorReport } from '../doctor/doctor.js';

export const UP_STEPS = [
  'prepare-vms',
  'taint-nodes',
  'install-cpi',
  'install-csi',
  'storageclass',
  'smoke-test',
] as const;
export type UpStep = (typeof UP_STEPS)[number];

/** Each step's input, as its own command would build it. */
export interface UpInputs {
  'prepare-vms': PrepareStepInput;
  'taint-nodes': TaintStepInput;
  'install-cpi': InstallCpiInput;
  'install-csi': InstallCsiStepInput;
  storageclass: StorageClassStepInput;
  'smoke-test': SmokeStepInput;
}

export interface UpInput {
  skip: UpStep[];
  from?: UpStep;
  dryRun: DryRunMode;
  steps: UpInputs;
}

/** The steps, in order; their modules are loaded together, when the run starts. */
async function loadSteps(): Promise<Record<UpStep, AnyStep>> {
  const [vms, nodes, cpi, csi, sc, smoke] = await Promise.all([
    import('../vms/prepare-vms.js'),
    import('../nodes/taint-nodes.js'),
    import('../drivers/cpi/install.js'),
    import('../drivers/csi/install.js'),
    import('../storage/storageclass.js'),
    import('../storage/smoke-test.js'),
  ]);
  return {
    'prepare-vms': vms.prepareVmsStep,
    'taint-nodes': nodes.taintNodesStep,
    'install-cpi': cpi.installCpiStep,
    'install-csi': csi.installCsiStep,
    storageclass: sc.storageClassStep,
    'smoke-test': smoke.smokeTestStep,
  };
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
function validateUpInput(input: UpInput, steps: Record<UpStep, AnyStep>): void {
  if (input.from && input.skip.includes(input.from)) {
    throw new UsageError(`--from ${input.from} and --skip ${input.from} contradict each other`, {
      hint: 'start from a step that runs',
    });
  }
  const runs = selectSteps(input.skip, input.from);
  const missing: string[] = [];
  const sc = input.steps.storageclass;
  if (runs.get('prepare-vms') === undefined && !input.steps['prepare-vms'].folder) {
    missing.push("--folder (the node VMs' folder)");
  }
  if (runs.get('storageclass') === undefined && !sc.datastore && !sc.policy) {
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
  for (const id of UP_STEPS) if (runs.get(id) === undefined) steps[id].validate(input.steps[id]);
}

/**
 * Before any step changes anything: a vSphere the CSI release cannot run on
 * (vCenter, the node VMs' hosts or hardware) stops the run here, rather than
 * after the VMs were reconfigured and the CPI installed. Its warnings are said
 * here, before the task list; the install-csi step then does not check again.
 */
async function preflight(ctx: Context, input: UpInput): Promise<UpInput> {
  const csi = input.steps['install-csi'];
  if (selectSteps(input.skip, input.from).get('install-csi') !== undefined) return input;
  const [{ refuseUnsupportedVsphere }, { csiCheckedRelease }] = await Promise.all([
    import('../doctor/vsphere-requirements.js'),
    import('../drivers/csi/install.js'),
  ]);
  const kube = await ctx.kube();
  const [session, nodes, release] = await Promise.all([
    ctx.vsphere(),
    kube.list<V1Node>('v1', 'Node').then((l) => l.items),
    csiCheckedRelease(kube, csi),
  ]);
  await refuseUnsupportedVsphere(session, nodes, release, {
    warn: (m) => ctx.log.warn(m),
    hint: '--skip install-csi',
  });
  return { ...input, steps: { ...input.steps, 'install-csi': { ...csi, vsphereChecked: true } } };
}

/** A step's row in the result; with --dry-run, also the plan it made. */
export type UpStepOutcome = TaskOutcome & { plan?: unknown };

export interface UpResult {
  steps: UpStepOutcome[];
  /** The doctor's verdict, also after a failed step (not after an interrupt). */
  doctor?: DoctorReport;
  /** The failed step's error, as thrown. */
  error?: unknown;
}

/** What the steps want said, kept for after the list: a live list on a terminal must not be written over. */
interface Messages {
  info: string[];
  warnings: string[];
}

/**
 * The run: inputs checked, the preflight, the steps in order (the first
 * failure stops them), then the doctor. With `live` (a task list on a
 * terminal), the steps' info lines and warnings are said after the list.
 */
export async function runUp(
  outer: Context,
  input: UpInput,
  opts: { live: boolean; folder?: string },
): Promise<UpResult> {
  const steps = await loadSteps();
  validateUpInput(input, steps);
  const checked = await preflight(outer, input);
  const messages: Messages = { info: [], warnings: [] };
  // Each line is said once: both installs would say which datacenters they serve.
  const said = new Set<string>();
  const once = (say: (m: string) => void) => (m: string) => {
    if (!said.has(m)) say(m);
    said.add(m);
  };
  const ctx: Context = {
    ...outer,
    log: {
      ...outer.log,
      info: once(opts.live ? (m) => messages.info.push(m) : (m) => outer.log.info(m)),
      warn: once(opts.live ? (m) => messages.warnings.push(m) : (m) => outer.log.warn(m)),
    },
  };
  const plans = new Map<string, unknown>();
  const runs = selectSteps(input.skip, input.from, input.dryRun !== 'none');
  const tasks: Task[] = UP_STEPS.map((id) => ({
    id,
    title: steps[id].title,
    skip: runs.get(id),
    async run(update) {
      const run: StepRun = { dryRun: input.dryRun, progress: nestedProgress(update), update };
      const step = steps[id];
      const { result } = await runStep(ctx, step, checked.steps[id], run, (p) => plans.set(id, step.describe(p)));
      return step.summary(result);
    },
  }));
  const progress = createProgress({ interactive: opts.live, log: outer.log, signal: outer.signal });
  const list = await progress.list(tasks);
  for (const m of messages.info) outer.log.info(m);
  for (const w of messages.warnings) outer.log.warn(w);
  const outcomes = list.tasks.map((t) =>
    input.dryRun !== 'none' && plans.has(t.id) ? { ...t, plan: plans.get(t.id) } : t,
  );
  // Interrupted: how far the run got, and no doctor (Ctrl-C means stop now).
  if (outer.signal.aborted) return { steps: outcomes, error: list.error };
  const { runDoctor } = await import('../doctor/doctor.js');
  const doctor = await runDoctor(outer, { folder: opts.folder });
  return { steps: outcomes, doctor, error: list.error };
}
