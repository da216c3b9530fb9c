// Tasks: start a *_Task method and wait for any number of tasks with ONE
// PropertyCollector filter and WaitForUpdatesEx (not a poll per task), so
// reconfiguring a thousand VMs costs a handful of extra requests.

import type { VimClient } from './client.js';
import { faultError, localizedFaultMessage, type VimFault } from './faults.js';
import type { MoRef, ObjectUpdate, TaskInfo, UpdateSet } from './types.js';
import type { SoapObject } from './xml.js';

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

export interface WaitOptions {
  /** Called whenever a task's info changes (progress, completion). */
  onUpdate?: (info: TaskInfo) => void;
}

/**
 * Waits until every task has finished (success or error) and returns the
 * final TaskInfo of each, keyed by task value. A failed task does not stop
 * the wait for the others; look at `state` / `taskError(info)`.
 */
export async function waitForTasks(
  client: VimClient,
  tasks: MoRef[],
  options: WaitOptions = {},
): Promise<Map<string, TaskInfo>> {
  const final = new Map<string, TaskInfo>();
  if (tasks.length === 0) return final;
  const pending = new Set(tasks.map((t) => t.value));
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
    const maxWaitSeconds = Math.max(1, Math.min(60, Math.floor(client.timeoutMs / 1000) - 5));
    let version = '';
    while (pending.size > 0) {
      const set = await client.invoke<UpdateSet | undefined>(
        'WaitForUpdatesEx',
        collector,
        { version, options: { maxWaitSeconds } },
        'UpdateSet',
      );
      if (!set) continue;
      version = set.version;
      for (const filter of set.filterSet ?? []) {
        for (const update of filter.objectSet ?? []) {
          const info = taskInfoOf(update);
          if (!info) continue;
          options.onUpdate?.(info);
          if (info.state === 'success' || info.state === 'error') {
            final.set(update.obj.value, info);
            pending.delete(update.obj.value);
          }
        }
      }
    }
  } finally {
    await client.invoke('DestroyPropertyCollector', collector).catch(() => undefined);
  }
  return final;
}

function taskInfoOf(update: ObjectUpdate): TaskInfo | undefined {
  for (const change of update.changeSet ?? []) {
    if (change.name === 'info' && change.val && typeof change.val === 'object') return change.val as TaskInfo;
  }
  return undefined;
}

/** Runs one task method to completion; throws its fault as a typed error. */
export async function runTask(
  client: VimClient,
  method: string,
  self: MoRef,
  args: SoapObject = {},
): Promise<TaskInfo> {
  const task = await startTask(client, method, self, args);
  const info = (await waitForTasks(client, [task])).get(task.value)!;
  const err = taskError(info);
  if (err) throw err;
  return info;
}
