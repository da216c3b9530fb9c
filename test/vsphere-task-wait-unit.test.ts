// Task waits end: against a scripted vim25 endpoint, a task vCenter purged
// or hides ends as an error naming the task, and a wait whose updates never
// come ends at its deadline with an error naming the task and the timeout.
import { afterEach, describe, expect, it } from 'vitest';
import { runTask, TaskLostError, TaskTimeoutError, waitForTasks } from '../src/lib/vsphere/task.js';
import { ref, startFakeVim, type FakeHandler, type FakeVim } from './support/fake-vim.js';

let fake: FakeVim | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const task = (value: string) => ({ type: 'Task', value });

const info = (value: string, state: string) =>
  `<val xsi:type="TaskInfo"><key>${value}</key>${ref('task', 'Task', value)}<name>ReconfigVM_Task</name>` +
  `<descriptionId>VirtualMachine.reconfigure</descriptionId>${ref('entity', 'VirtualMachine', 'vm-42')}` +
  `<entityName>k8s-node-0001</entityName><state>${state}</state></val>`;

const update = (value: string, inner: string, kind = 'enter') =>
  `<objectSet><kind>${kind}</kind>${ref('obj', 'Task', value)}${inner}</objectSet>`;

const changed = (value: string, state: string) =>
  `<changeSet><name>info</name><op>assign</op>${info(value, state)}</changeSet>`;

const missing = (fault: string) =>
  `<missingSet><path>info</path><fault><fault xsi:type="${fault.split(' ')[0]}">${fault.split(' ').slice(1).join(' ')}</fault>` +
  `<localizedMessage>gone</localizedMessage></fault></missingSet>`;

const updateSet = (version: number, objects: string) =>
  `<version>${version}</version><filterSet>${ref('filter', 'PropertyFilter', 'f1')}${objects}</filterSet>`;

/** Collector plumbing plus a scripted WaitForUpdatesEx. */
function collector(wait: FakeHandler): Record<string, FakeHandler> {
  return {
    CreatePropertyCollector: () => 'pc-2',
    CreateFilter: () => 'f1',
    DestroyPropertyCollector: () => undefined,
    WaitForUpdatesEx: wait,
  };
}

describe('waiting for vCenter tasks', () => {
  it('ends a task vCenter purged (missingSet) with an error naming it, and keeps the others', async () => {
    fake = await startFakeVim(
      collector((_req, call) =>
        call === 1
          ? updateSet(
              1,
              update('task-1', changed('task-1', 'success')) +
                update('task-2', missing('ManagedObjectNotFound <obj type="Task">task-2</obj>')),
            )
          : new Promise((r) => setTimeout(() => r(undefined), 200)),
      ),
    );
    const results = await waitForTasks(fake.client, [task('task-1'), task('task-2')], { timeoutMs: 20_000 });
    expect(results.get('task-1')?.error).toBeUndefined();
    expect(results.get('task-1')?.info?.state).toBe('success');
    const lost = results.get('task-2')?.error;
    expect(lost).toBeInstanceOf(TaskLostError);
    expect(lost!.message).toBe('vCenter no longer reports task "task-2": the task no longer exists');
    expect(fake.calls.filter((m) => m === 'WaitForUpdatesEx')).toHaveLength(1);
    expect(fake.calls.at(-1)).toBe('DestroyPropertyCollector');
  }, 10_000);

  it('names the privilege when the task info is not readable, and a "leave" as a removal', async () => {
    fake = await startFakeVim(
      collector((_req, call) =>
        call === 1
          ? updateSet(
              1,
              update(
                'task-3',
                missing('NoPermission <object type="Task">task-3</object><privilegeId>System.Read</privilegeId>'),
              ) + update('task-4', changed('task-4', 'running')),
            )
          : updateSet(2, update('task-4', '', 'leave')),
      ),
    );
    const results = await waitForTasks(fake.client, [task('task-3'), task('task-4')], { timeoutMs: 20_000 });
    expect(results.get('task-3')?.error?.message).toBe(
      'vCenter no longer reports task "task-3": its info is not readable: permission denied, needs privilege System.Read',
    );
    expect(results.get('task-4')?.error).toBeInstanceOf(TaskLostError);
    expect(results.get('task-4')?.error?.message).toBe(
      'vCenter no longer reports task "task-4" (VirtualMachine.reconfigure on VirtualMachine "k8s-node-0001"): ' +
        'it was removed from the task list',
    );
  }, 10_000);

  it('ends at the deadline when the update never comes, naming the task and the timeout', async () => {
    // Every WaitForUpdatesEx answers "nothing new" (as after maxWaitSeconds): the task's end is lost.
    fake = await startFakeVim(
      collector((_req, call) =>
        call === 1
          ? updateSet(1, update('task-5', changed('task-5', 'running')))
          : new Promise((r) => setTimeout(() => r(undefined), 100)),
      ),
    );
    const started = Date.now();
    const results = await waitForTasks(fake.client, [task('task-5')], { timeoutMs: 1500 });
    expect(Date.now() - started).toBeLessThan(5000);
    const err = results.get('task-5')?.error;
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect(err!.message).toBe(
      'task "task-5" (VirtualMachine.reconfigure on VirtualMachine "k8s-node-0001") did not finish within 1.5s; ' +
        'last state running',
    );
    expect(err!.hint).toContain('--timeout');
    expect(fake.calls.at(-1)).toBe('DestroyPropertyCollector');
  }, 10_000);

  it('asks the server to answer before the deadline, not after the full request cap', async () => {
    const asked: number[] = [];
    fake = await startFakeVim(
      collector((req) => {
        asked.push(Number(/<maxWaitSeconds>(\d+)<\/maxWaitSeconds>/.exec(req)?.[1]));
        return new Promise((r) => setTimeout(() => r(undefined), 50));
      }),
      { timeoutMs: 30_000 },
    );
    await waitForTasks(fake.client, [task('task-6')], { timeoutMs: 2000 });
    expect(asked[0]).toBe(2);
    expect(Math.max(...asked)).toBeLessThanOrEqual(2);
  }, 10_000);

  it('runTask throws the timeout as a typed error', async () => {
    fake = await startFakeVim({
      ...collector(() => new Promise((r) => setTimeout(() => r(undefined), 100))),
      PowerOnVM_Task: () => 'task-7',
    });
    const err = await runTask(
      fake.client,
      'PowerOnVM_Task',
      { type: 'VirtualMachine', value: 'vm-1' },
      {},
      {
        timeoutMs: 1000,
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect((err as Error).message).toBe('task "task-7" did not finish within 1s');
  }, 10_000);
});
