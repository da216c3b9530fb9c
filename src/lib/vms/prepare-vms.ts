// Step: set disk.enableUUID=TRUE on every VM of a folder, so the guest sees
// stable disk UUIDs (/dev/disk/by-id) that the vSphere CSI driver relies on.
// plan() resolves the folder and reads every VM in one PropertyCollector pass;
// apply(plan) reconfigures only the VMs that need it, with bounded
// concurrency, and waits for all tasks with one PropertyCollector wait.
// powerCycleVms() then applies the value to running VMs, one at a time.

import picomatch from 'picomatch';
import { mapLimit } from '../core/concurrency.js';
import { closestPaths } from '../core/suggest.js';
import { UsageError, VkError } from '../core/errors.js';
import type { Step } from '../core/step.js';
import type { VimClient } from '../vsphere/soap/client.js';
import { findFault, NoPermissionError, VimFault } from '../vsphere/soap/faults.js';
import { chooseDatacenter, type DatacenterRef } from '../vsphere/inventory.js';
import { waitForTasks, runTask } from '../vsphere/task.js';
import { refKey, type MoRef, type TaskInfo } from '../vsphere/types.js';
import {
  listVmsInFolder,
  readVmFolderTree,
  shutdownGuest,
  startSetExtraConfig,
  toolsRunning,
  waitForPowerState,
  type PowerState,
  type VmFolderTree,
} from '../vsphere/vm.js';

export const ENABLE_UUID_KEY = 'disk.enableUUID';
export const ENABLE_UUID_VALUE = 'TRUE';
export const ADVANCED_CONFIG_PRIVILEGE = 'VirtualMachine.Config.AdvancedConfig';

export interface PrepareVmsInput {
  /** Inventory path (/DC0/vm/k8s) or a path relative to the datacenter's VM folder (k8s). */
  folder: string;
  recursive: boolean;
  include: string[];
  exclude: string[];
  /** --datacenter, for relative folder paths. */
  datacenter?: string;
}

/** set: reconfigure; none: already set; skip: a template; unreadable: vk may not read it, so cannot tell. */
export type VmAction = 'set' | 'none' | 'skip' | 'unreadable';

export interface VmPlan {
  name: string;
  path: string;
  power: PowerState;
  uuid?: string;
  template: boolean;
  /** disk.enableUUID now (undefined: not set). */
  before?: string;
  action: VmAction;
  /** For "unreadable": the property, the VM and the privilege, in one line. */
  error?: string;
  ref: MoRef;
}

export interface PrepareVmsPlan {
  datacenter: string;
  /** The folder's inventory path. */
  folder: string;
  recursive: boolean;
  vms: VmPlan[];
}

export type VmResultKind = 'changed' | 'already set' | 'skipped (template)' | 'failed' | 'would change';

export interface VmResult {
  name: string;
  path: string;
  power: PowerState;
  uuid?: string;
  before: string | null;
  after: string | null;
  result: VmResultKind;
  error?: string;
  /** disk.enableUUID could not be read: `before` is unknown, not unset. */
  unreadable?: boolean;
}

export interface PrepareVmsResult {
  folder: string;
  dryRun: boolean;
  vms: VmResult[];
  /** Powered-on VMs that changed: the value applies after a full power cycle. */
  needPowerCycle: string[];
}

/** Progress events for the reporter (listr2 on a TTY, lines otherwise). */
export type ProgressFn = (message: string) => void;

/** true/TRUE/1 (any case): the value the guest reads as enabled. */
export function isEnabled(value: string | undefined): boolean {
  return value !== undefined && /^(true|1)$/i.test(value.trim());
}

/** Rejects bad input before any request. */
export function validatePrepareInput(input: PrepareVmsInput): void {
  if (!input.folder || input.folder.trim() === '' || input.folder.trim() === '/') {
    throw new UsageError('no VM folder given', { hint: 'pass FOLDER (e.g. k8s or /DC0/vm/k8s) or --folder' });
  }
  for (const glob of [...input.include, ...input.exclude]) {
    if (glob.trim() === '') throw new UsageError('empty --include/--exclude glob');
    try {
      picomatch.makeRe(glob);
    } catch (err) {
      throw new UsageError(`invalid glob "${glob}": ${(err as Error).message}`);
    }
  }
}

/** The folder's absolute inventory path: as given when absolute, else under the datacenter's VM folder. */
export function absoluteFolderPath(folder: string, dc: DatacenterRef | undefined): string {
  const trimmed = folder.trim().replace(/\/+$/, '');
  if (trimmed.startsWith('/')) return trimmed.replace(/\/{2,}/g, '/');
  if (!dc) {
    throw new UsageError(`VM folder "${folder}" is relative and no datacenter was chosen`, {
      hint: 'pass an inventory path such as /DC0/vm/k8s, or --datacenter',
    });
  }
  return `${dc.path}/vm/${trimmed.replace(/^\.\//, '')}`.replace(/\/{2,}/g, '/');
}

function resolveFolder(tree: VmFolderTree, input: PrepareVmsInput): { folder: MoRef; path: string; dc: string } {
  const absolute = input.folder.trim().startsWith('/');
  const dc = absolute ? undefined : chooseDatacenter(tree.datacenters, input.datacenter);
  const wanted = absoluteFolderPath(input.folder, dc);
  const byPath = new Map<string, MoRef>();
  for (const f of tree.folders.values()) byPath.set(tree.paths.pathOf(f.ref), f.ref);
  const folder = byPath.get(wanted);
  if (folder) {
    const owner = tree.datacenters.find((d) => wanted === d.path || wanted.startsWith(`${d.path}/`));
    return { folder, path: wanted, dc: owner?.name ?? dc?.name ?? '' };
  }
  const candidates = [...byPath.keys()].filter((p) => !dc || p.startsWith(`${dc.path}/`));
  const near = closestPaths(wanted, candidates);
  throw new VkError(`VM folder "${wanted}" not found`, {
    hint: near.length ? `did you mean ${near.map((p) => `"${p}"`).join(', ')}?` : 'the datacenter has no VM folder',
  });
}

/** Reads the folder's VMs (one pass) and decides, per VM, what apply() would do. */
export async function planPrepareVms(client: VimClient, input: PrepareVmsInput): Promise<PrepareVmsPlan> {
  const tree = await readVmFolderTree(client);
  const { folder, path, dc } = resolveFolder(tree, input);
  const all = await listVmsInFolder(client, folder, tree, {
    recursive: input.recursive,
    extraConfigKeys: [ENABLE_UUID_KEY],
  });
  const include = input.include.map((g) => picomatch(g, { dot: true }));
  const exclude = input.exclude.map((g) => picomatch(g, { dot: true }));
  const chosen = all.filter(
    (vm) => (include.length === 0 || include.some((m) => m(vm.name))) && !exclude.some((m) => m(vm.name)),
  );
  if (chosen.length === 0) {
    const scope = input.recursive ? 'or its subfolders' : '(subfolders not searched: --no-recursive)';
    const filtered = all.length > 0 ? ` (${all.length} VMs excluded by --include/--exclude)` : '';
    throw new VkError(`no VMs in ${path} ${scope}${filtered}`, {
      hint: all.length > 0 ? 'check the --include/--exclude globs' : 'check the folder path',
    });
  }
  return {
    datacenter: dc,
    folder: path,
    recursive: input.recursive,
    vms: chosen.map((vm) => {
      const before = vm.extraConfig[ENABLE_UUID_KEY];
      return {
        name: vm.name,
        path: vm.path,
        power: vm.powerState,
        uuid: vm.uuid,
        template: vm.template,
        before,
        action: vm.unreadable ? 'unreadable' : vm.template ? 'skip' : isEnabled(before) ? 'none' : 'set',
        ...(vm.unreadable ? { error: vm.unreadable.message } : {}),
        ref: vm.ref,
      };
    }),
  };
}

/** The vCenter fault as one line; a missing privilege is named. */
export function faultText(err: unknown): string {
  if (err instanceof NoPermissionError || findFault(err, 'NoPermission')) {
    const privileges = err instanceof NoPermissionError ? err.privileges : [];
    return `permission denied: needs privilege ${privileges.length ? privileges.join(', ') : ADVANCED_CONFIG_PRIVILEGE}`;
  }
  if (err instanceof VimFault) return err.vimMessage || err.message;
  return err instanceof Error ? err.message : String(err);
}

export interface ApplyOptions {
  concurrency: number;
  dryRun: boolean;
  /** Deadline for the reconfigure tasks (--timeout); a task unfinished by then fails its VM. */
  taskTimeoutMs: number;
  progress?: ProgressFn;
  signal?: AbortSignal;
}

/** Reconfigures the plan's "set" VMs; failures are reported per VM, never thrown. */
export async function applyPrepareVms(
  client: VimClient,
  plan: PrepareVmsPlan,
  options: ApplyOptions,
): Promise<PrepareVmsResult> {
  const toSet = plan.vms.filter((v) => v.action === 'set');
  const errors = new Map<string, string>();
  if (!options.dryRun && toSet.length > 0) {
    const tasks = new Map<string, VmPlan>();
    let started = 0;
    await mapLimit(toSet, options.concurrency, async (vm) => {
      if (options.signal?.aborted) {
        errors.set(refKey(vm.ref), 'not started: interrupted');
        return;
      }
      try {
        const task = await startSetExtraConfig(client, vm.ref, { [ENABLE_UUID_KEY]: ENABLE_UUID_VALUE });
        tasks.set(task.value, vm);
      } catch (err) {
        errors.set(refKey(vm.ref), faultText(err));
      }
      started++;
      options.progress?.(`reconfiguring: ${started}/${toSet.length} started`);
    });
    let done = 0;
    const final = await waitForTasks(
      client,
      [...tasks.keys()].map((value) => ({ type: 'Task', value })),
      {
        timeoutMs: options.taskTimeoutMs,
        onUpdate: (info: TaskInfo) => {
          if (info.state === 'success' || info.state === 'error') {
            done++;
            options.progress?.(`reconfiguring: ${done}/${tasks.size} done`);
          }
        },
      },
    );
    for (const [taskValue, vm] of tasks) {
      const err = final.get(taskValue)?.error;
      if (err) errors.set(refKey(vm.ref), faultText(err));
    }
  }

  const vms: VmResult[] = plan.vms.map((vm) => {
    const base = { name: vm.name, path: vm.path, power: vm.power, uuid: vm.uuid, before: vm.before ?? null };
    if (vm.action === 'unreadable')
      return { ...base, after: null, result: 'failed', error: vm.error, unreadable: true };
    if (vm.action === 'skip') return { ...base, after: base.before, result: 'skipped (template)' };
    if (vm.action === 'none') return { ...base, after: base.before, result: 'already set' };
    if (options.dryRun) return { ...base, after: ENABLE_UUID_VALUE, result: 'would change' };
    const error = errors.get(refKey(vm.ref));
    if (error) return { ...base, after: base.before, result: 'failed', error };
    return { ...base, after: ENABLE_UUID_VALUE, result: 'changed' };
  });
  const needPowerCycle = vms
    .filter((v) => (v.result === 'changed' || v.result === 'would change') && v.power === 'poweredOn')
    .map((v) => v.name);
  return { folder: plan.folder, dryRun: options.dryRun === true, vms, needPowerCycle };
}

/** `24 VMs: 20 changed, 3 already set, 1 failed` */
export function summarizePrepareResult(result: PrepareVmsResult): string {
  const order: VmResultKind[] = ['would change', 'changed', 'already set', 'skipped (template)', 'failed'];
  const counts = order
    .map((kind) => [kind, result.vms.filter((v) => v.result === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  const nothing = result.vms.every((v) => v.result !== 'changed' && v.result !== 'would change');
  const suffix = nothing && !result.vms.some((v) => v.result === 'failed') ? ' (nothing to change)' : '';
  const dry = result.dryRun && !suffix ? ' (dry run: nothing changed)' : '';
  return `${result.vms.length} VM${result.vms.length === 1 ? '' : 's'}: ${counts.join(', ')}${suffix}${dry}`;
}

export interface PowerCycleOptions {
  shutdownTimeoutMs: number;
  /** Deadline for each power-off and power-on task (--timeout). */
  taskTimeoutMs: number;
  progress?: ProgressFn;
  signal?: AbortSignal;
}

export interface PowerCycleResult {
  name: string;
  /** How the VM was stopped. */
  stoppedBy: 'guest shutdown' | 'power off';
  error?: string;
}

/**
 * Power-cycles the VMs one at a time: guest shutdown (power off when the
 * tools are not running or the guest has not stopped after the timeout),
 * power on, wait until powered on, then the next. Stops at the first failure
 * so that at most one VM is down.
 */
export async function powerCycleVms(
  client: VimClient,
  vms: Array<Pick<VmPlan, 'name' | 'ref'>>,
  options: PowerCycleOptions,
): Promise<PowerCycleResult[]> {
  const results: PowerCycleResult[] = [];
  for (const [i, vm] of vms.entries()) {
    if (options.signal?.aborted) break;
    const step = `power cycle ${i + 1}/${vms.length} ${vm.name}`;
    let stoppedBy: PowerCycleResult['stoppedBy'] = 'power off';
    try {
      let off = false;
      if (await toolsRunning(client, vm.ref)) {
        options.progress?.(`${step}: guest shutdown`);
        try {
          await shutdownGuest(client, vm.ref);
          off = await waitForPowerState(client, vm.ref, 'poweredOff', options.shutdownTimeoutMs);
          if (off) stoppedBy = 'guest shutdown';
        } catch (err) {
          options.progress?.(`${step}: guest shutdown failed (${faultText(err)}), powering off`);
        }
      }
      if (!off) {
        options.progress?.(`${step}: power off`);
        await runTask(client, 'PowerOffVM_Task', vm.ref, {}, { timeoutMs: options.taskTimeoutMs }).catch(
          (err: unknown) => {
            // Already off (the guest stopped just after the timeout) is fine.
            if (!findFault(err, 'InvalidPowerState')) throw err;
          },
        );
      }
      options.progress?.(`${step}: power on`);
      await runTask(client, 'PowerOnVM_Task', vm.ref, {}, { timeoutMs: options.taskTimeoutMs });
      if (!(await waitForPowerState(client, vm.ref, 'poweredOn', options.shutdownTimeoutMs))) {
        throw new VkError('did not report poweredOn after PowerOnVM_Task');
      }
      results.push({ name: vm.name, stoppedBy });
    } catch (err) {
      results.push({ name: vm.name, stoppedBy, error: faultText(err) });
      break;
    }
  }
  return results;
}

/** Names for a warning line: all of a few, the first 20 of many (JSON output has every one). */
export function nameList(names: readonly string[], max = 20): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** The powered-on VMs that changed and see the value only after a power cycle; undefined when none. */
export function powerCycleWarning(result: PrepareVmsResult): string | undefined {
  const n = result.needPowerCycle.length;
  if (n === 0) return undefined;
  return (
    `${n} powered-on VM${n === 1 ? '' : 's'} see the new value only after a full power cycle ` +
    `(guest shutdown and power on, not a reboot): ${nameList(result.needPowerCycle)}` +
    (result.dryRun
      ? ''
      : '; shut them down and power them on (vk prepare-vms --power-cycle does this along with the change)')
  );
}

export interface PrepareStepInput extends PrepareVmsInput {
  concurrency: number;
  /** Deadline for the reconfigure tasks (--timeout). */
  taskTimeoutMs: number;
}

export type PrepareStepPlan = PrepareVmsPlan & Pick<PrepareStepInput, 'concurrency' | 'taskTimeoutMs'>;

export const prepareVmsStep: Step<PrepareStepInput, PrepareStepPlan, PrepareVmsResult> = {
  id: 'prepare-vms',
  title: 'Prepare VMs (disk.enableUUID=TRUE)',
  validate: validatePrepareInput,
  async plan(ctx, input, run) {
    validatePrepareInput(input);
    const session = await ctx.vsphere();
    run.update(`reading VMs under ${input.folder}`);
    const datacenter = input.datacenter ?? session.options.datacenter;
    const plan = await planPrepareVms(session.client, { ...input, datacenter });
    return { ...plan, concurrency: input.concurrency, taskTimeoutMs: input.taskTimeoutMs };
  },
  describe: ({ datacenter, folder, recursive, vms }) => ({
    datacenter,
    folder,
    recursive,
    vms: vms.map(({ path, power, before, action }) => ({ path, power, before: before ?? null, action })),
  }),
  async apply(ctx, plan, run) {
    const dryRun = run.dryRun !== 'none';
    const toSet = plan.vms.filter((v) => v.action === 'set').length;
    if (toSet && !dryRun) run.update(`setting ${ENABLE_UUID_KEY}=${ENABLE_UUID_VALUE} on ${toSet} VMs`);
    const session = await ctx.vsphere();
    return applyPrepareVms(session.client, plan, {
      concurrency: plan.concurrency,
      dryRun,
      taskTimeoutMs: plan.taskTimeoutMs,
      signal: ctx.signal,
      progress: run.update,
    });
  },
  summary: summarizePrepareResult,
  warnings: (r) => [powerCycleWarning(r)].filter((w) => w !== undefined),
  failure(r) {
    const failed = r.vms.filter((v) => v.result === 'failed');
    if (!failed.length) return undefined;
    return new VkError(`${failed.length} of ${r.vms.length} VMs failed: ${failed[0]!.name}: ${failed[0]!.error}`);
  },
};
