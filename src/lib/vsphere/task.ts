// Tasks: start a *_Task method and wait for any number of tasks with ONE
// PropertyCollector filter and WaitForUpdatesEx (not a poll per task), so
// reconfiguring a thousand VMs costs a handful of extra requests.
//
// Every wait ends: a task vCenter can no longer show us (purged, or not
// readable: a missingSet entry or a "leave" update) ends as an error naming
// the task, as govmomi's task.Wait does with PropagateMissing, and a task
// still unfinished at the deadline ends as a TaskTimeoutError.

import { VkError } from '../core/errors.js';
import { formatDuration } from '../kube/duration.js';
import type { VimClient } from './soap/client.js';
import { faultError, findFault, localizedFaultMessage, privilegesOf, type VimFault } from './soap/faults.js';
import type { MissingProperty, MoRef, ObjectUpdate, TaskInfo, UpdateSet } from './types.js';
import type { SoapObject } from './soap/xml.js';

/** Starts a task method (e.g. ReconfigVM_Task) and returns the Task reference. */
export async function startTask(client: VimClient, method: string, self: MoRef, args: SoapObject = {}): Promise<MoRef> {
  return client.invoke<MoRef>(method, self, args, 'ManagedObjectReference');
}

/** The typed error for a task that ended in state "error" (undefined if it did not). */
export function taskError(info: TaskInfo): VimFault | undefined {
  if (info.state !== 'error' || !info.error) return undefined;
  const method = info.descriptionId ?? info.name ?? 'task';
  return faultError(method, info.error.fault, localizedFaultMessage(info.error));
}

/** `task "task-12" (ReconfigVM_Task on VirtualMachine "vm-42")`, with what is known of it. */
export function taskText(task: MoRef, info?: TaskInfo): string {
  const method = info?.descriptionId ?? info?.name;
  const on = info?.entity ? ` on ${info.entity.type} "${info.entityName ?? info.entity.value}"` : '';
  return `task "${task.value}"` + (method ? ` (${method}${on})` : on ? ` (${on.slice(1)})` : '');
}

/** A task vCenter no longer reports: purged from its task list, or not readable by this user. */
export class TaskLostError extends VkError {
  readonly task: MoRef;
  constructor(task: MoRef, reason: string, last?: TaskInfo) {
    super(`vCenter no longer reports ${taskText(task, last)}: ${reason}`, {
      hint: 'check the task in the vSphere client; re-run the command to see what is still to do',
    });
    this.name = 'TaskLostError';
    this.task = task;
  }
}

/** A task still unfinished when the wait's deadline passed. */
export class TaskTimeoutError extends VkError {
  readonly task: MoRef;
  readonly timeoutMs: number;
  constructor(task: MoRef, timeoutMs: number, last?: TaskInfo) {
    const state = last?.state ? `; last state ${last.state}` : '';
    super(`${taskText(task, last)} did not finish within ${formatDuration(timeoutMs)}${state}`, {
      hint: 'raise --timeout, or check the task in the vSphere client',
    });
    this.name = 'TaskTimeoutError';
    this.task = task;
    this.timeoutMs = timeoutMs;
  }
}

/** How one task ended: its final info, and an error when it failed, was lost or timed out. */
export interface TaskResult {
  task: MoRef;
  /** The last TaskInfo seen (final when the task finished). */
  info?: TaskInfo;
  error?: VkError;
}

export interface WaitOptions {
  /** Deadline for the whole wait; tasks unfinished by then end with a TaskTimeoutError. */
  timeoutMs: number;
  /** Called whenever a task's info changes (progress, completion). */
  onUpdate?: (info: TaskInfo) => void;
}

/**
 * Waits until every task has finished (success or error), was lost, or the
 * deadline passed, and returns each task's result keyed by task value. A
 * failed task does not stop the wait for the others.
 */
export async function waitForTasks(
  client: VimClient,
  tasks: MoRef[],
  options: WaitOptions,
): Promise<Map<string, TaskResult>> {
  const results = new Map<string, TaskResult>();
  if (tasks.length === 0) return results;
  const deadline = Date.now() + options.timeoutMs;
  const pending = new Map(tasks.map((t) => [t.value, t]));
  const last = new Map<string, TaskInfo>();
  const finish = (task: MoRef, error?: VkError) => {
    results.set(task.value, { task, info: last.get(task.value), error });
    pending.delete(task.value);
  };
  // A private collector: its filter and versions never mix with other waits.
  const collector = await client.invoke<MoRef>(
    'CreatePropertyCollector',
    client.sc.propertyCollector,
    {},
    'ManagedObjectReference',
  );
  try {
    await client.invoke('CreateFilter', collector, {
      spec: {
        propSet: [{ type: 'Task', pathSet: ['info'] }],
        objectSet: tasks.map((obj) => ({ obj })),
      },
      partialUpdates: false,
    });
    // Stay under the request timeout: the server answers empty after maxWaitSeconds.
    const requestCap = Math.max(1, Math.min(60, Math.floor(client.timeoutMs / 1000) - 5));
    let version = '';
    while (pending.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const set = await client.invoke<UpdateSet | undefined>(
        'WaitForUpdatesEx',
        collector,
        { version, options: { maxWaitSeconds: Math.max(1, Math.min(requestCap, Math.ceil(left / 1000))) } },
        'UpdateSet',
      );
      if (!set) continue;
      version = set.version;
      for (const filter of set.filterSet ?? []) {
        for (const update of filter.objectSet ?? []) {
          const task = pending.get(update.obj.value);
          if (!task) continue;
          const info = taskInfoOf(update);
          if (info) {
            last.set(task.value, info);
            options.onUpdate?.(info);
          }
          const lost = lostReason(update);
          if (info && (info.state === 'success' || info.state === 'error')) finish(task, taskError(info));
          else if (lost) finish(task, new TaskLostError(task, lost, last.get(task.value)));
        }
      }
    }
    for (const task of pending.values())
      finish(task, new TaskTimeoutError(task, options.timeoutMs, last.get(task.value)));
  } finally {
    await client.invoke('DestroyPropertyCollector', collector).catch(() => undefined);
  }
  return results;
}

function taskInfoOf(update: ObjectUpdate): TaskInfo | undefined {
  for (const change of update.changeSet ?? []) {
    if (change.name === 'info' && change.val && typeof change.val === 'object') return change.val as TaskInfo;
  }
  return undefined;
}

/** Why vCenter cannot show the task's info any more, if it cannot. */
function lostReason(update: ObjectUpdate): string | undefined {
  const missing = update.missingSet?.find((m) => m.path === 'info') ?? update.missingSet?.[0];
  if (missing) return missingText(missing);
  if (update.kind === 'leave') return 'it was removed from the task list';
  return undefined;
}

function missingText(m: MissingProperty): string {
  const message = localizedFaultMessage(m.fault);
  const denied = findFault(m.fault, 'NoPermission');
  if (denied) {
    const privileges = privilegesOf(denied);
    return `its ${m.path} is not readable: permission denied, needs privilege ${privileges.join(', ') || 'System.Read'}`;
  }
  if (findFault(m.fault, 'ManagedObjectNotFound')) return 'the task no longer exists';
  return `its ${m.path} is missing: ${message}`;
}

/** Runs one task method to completion; throws its fault, loss or timeout as a typed error. */
export async function runTask(
  client: VimClient,
  method: string,
  self: MoRef,
  args: SoapObject = {},
  options: Omit<WaitOptions, 'onUpdate'>,
): Promise<TaskInfo> {
  const task = await startTask(client, method, self, args);
  const result = (await waitForTasks(client, [task], options)).get(task.value)!;
  if (result.error) throw result.error;
  return result.info!;
}
