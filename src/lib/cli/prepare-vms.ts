// The command side of `vk prepare-vms` (and its part of `vk up`): the flags,
// the flags turned into the step's input, the result table, and --power-cycle
// with its confirmation.

import { Flags } from '@oclif/core';
import type { Context } from '../core/context.js';
import { UsageError, VkError } from '../core/errors.js';
import { dryRunFlag, dryRunOf, durationMs } from './flags.js';
import type { Table } from './output.js';
import type { Progress } from './progress.js';
import type { PrepareStepInput, PrepareStepPlan, PrepareVmsResult } from '../vms/prepare-vms.js';

/** Reconfigure tasks started in parallel by default: vCenter queues more, and its task manager is shared. */
export const VM_CONCURRENCY = 8;
/** The most vk starts at once; requests beyond the client's connection pool (MAX_CONNECTIONS) wait in its queue. */
export const MAX_VM_CONCURRENCY = 64;

export const folderFlag = Flags.string({ summary: "The node VMs' folder: /DC0/vm/k8s, or k8s under the VM folder." });
export const vmConcurrencyFlag = Flags.integer({
  min: 1,
  max: MAX_VM_CONCURRENCY,
  default: VM_CONCURRENCY,
  summary: 'VM reconfigure tasks started in parallel.',
});

export const prepareVmsFlags = {
  folder: folderFlag,
  recursive: Flags.boolean({ default: true, allowNo: true, summary: 'Include VMs in subfolders.' }),
  include: Flags.string({ multiple: true, summary: 'Only VMs whose name matches this glob (repeatable).' }),
  exclude: Flags.string({ multiple: true, summary: 'Skip VMs whose name matches this glob (repeatable).' }),
  concurrency: vmConcurrencyFlag,
  'dry-run': dryRunFlag({ summary: 'client (or bare --dry-run): show what would change; change nothing.' }),
  'power-cycle': Flags.boolean({
    summary: 'Power-cycle the powered-on VMs that changed, one at a time (asks first; --yes when not on a terminal).',
  }),
  yes: Flags.boolean({ char: 'y', summary: 'Answer yes to the --power-cycle confirmation.' }),
  timeout: Flags.string({
    default: '10m',
    summary: 'Time allowed for the vCenter tasks (all reconfigures; each power-off and power-on), e.g. 90s, 10m.',
  }),
  'shutdown-timeout': Flags.integer({
    min: 1,
    default: 120,
    summary: 'Seconds to wait for a guest shutdown before powering the VM off.',
  }),
};

interface PrepareFlags {
  folder?: string;
  recursive: boolean;
  include?: string[];
  exclude?: string[];
  concurrency: number;
  'dry-run'?: string;
  'power-cycle': boolean;
  yes: boolean;
  timeout: string;
  'shutdown-timeout': number;
}

export interface PrepareCommand {
  input: PrepareStepInput;
  dryRun: ReturnType<typeof dryRunOf>;
  /** --power-cycle, and not a dry run. */
  powerCycle: boolean;
  yes: boolean;
  shutdownTimeoutMs: number;
}

/** The flags (and the FOLDER argument) as the step's input; contradictions are usage errors. */
export function prepareCommandInput(
  f: PrepareFlags,
  folderArg: string | undefined,
  interactive: boolean,
): PrepareCommand {
  if (f.folder && folderArg && f.folder !== folderArg) {
    throw new UsageError('FOLDER and --folder disagree', { hint: 'give the folder once' });
  }
  const dryRun = dryRunOf(f['dry-run']);
  const powerCycle = f['power-cycle'] && dryRun === 'none';
  if (powerCycle && !f.yes && !interactive) {
    throw new UsageError('--power-cycle needs confirmation and there is no terminal to ask on', {
      hint: 'pass --yes to confirm',
    });
  }
  return {
    input: {
      folder: f.folder ?? folderArg ?? '',
      recursive: f.recursive,
      include: f.include ?? [],
      exclude: f.exclude ?? [],
      concurrency: f.concurrency,
      taskTimeoutMs: durationMs(f.timeout),
    },
    dryRun,
    powerCycle,
    yes: f.yes,
    shutdownTimeoutMs: f['shutdown-timeout'] * 1000,
  };
}

export function prepareTable(r: PrepareVmsResult): Table {
  return {
    columns: ['vm', 'power', 'before', 'after', 'result'],
    rows: r.vms.map((v) => {
      const unset = v.unreadable ? '(unreadable)' : '(unset)';
      return [v.path, v.power, v.before ?? unset, v.after ?? unset, v.result];
    }),
  };
}

/** The apply's progress title: what is about to change. */
export function applyTitle(plan: PrepareStepPlan, dryRun: boolean, key: string): string | undefined {
  const toSet = plan.vms.filter((v) => v.action === 'set').length;
  if (toSet === 0) return undefined;
  return dryRun
    ? `Dry run: ${toSet} of ${plan.vms.length} VMs would change`
    : `Setting ${key} on ${toSet} of ${plan.vms.length} VMs`;
}

/**
 * --power-cycle: after a confirmation (unless --yes), the powered-on VMs that
 * changed, one at a time; the first failure stops it with the others untouched.
 */
export async function powerCycleChanged(
  ctx: Context,
  cmd: PrepareCommand,
  plan: PrepareStepPlan,
  result: PrepareVmsResult,
  progress: Progress,
): Promise<void> {
  const { nameList, powerCycleVms } = await import('../vms/prepare-vms.js');
  const cycle = plan.vms.filter((v) => result.needPowerCycle.includes(v.name));
  if (cycle.length === 0) return;
  const names = nameList(cycle.map((v) => v.name));
  if (!cmd.yes) {
    const { confirm } = await import('@inquirer/prompts');
    const ok = await confirm(
      { message: `Power-cycle ${cycle.length} VMs one at a time (${names})?`, default: false },
      { output: process.stderr, signal: ctx.signal },
    );
    if (!ok) throw new VkError('power cycle not confirmed; nothing was powered off', { exitCode: 1 });
  }
  const session = await ctx.vsphere();
  const cycled = await progress.step(`Power-cycling ${cycle.length} VMs one at a time`, (update) =>
    powerCycleVms(session.client, cycle, {
      shutdownTimeoutMs: cmd.shutdownTimeoutMs,
      taskTimeoutMs: cmd.input.taskTimeoutMs,
      progress: update,
      signal: ctx.signal,
    }),
  );
  for (const c of cycled)
    ctx.log.info(`${c.name}: ${c.error ? `failed: ${c.error}` : `power-cycled (${c.stoppedBy})`}`);
  const bad = cycled.find((c) => c.error);
  if (bad) {
    throw new VkError(`power cycle of ${bad.name} failed: ${bad.error}`, {
      hint: 'the remaining VMs were not touched',
    });
  }
  if (cycled.length < cycle.length) throw new VkError('power cycle interrupted');
}
