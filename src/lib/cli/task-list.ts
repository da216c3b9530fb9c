// A list of long steps run one after the other, shown on stderr: one listr2
// task list on a terminal (imported only then), plain "step: summary (1.2s)"
// lines otherwise so CI logs stay readable. A step may be skipped with a
// reason; the first step that fails stops the list, and the ones after it are
// reported as not run. Failures are returned, not thrown, so the caller can
// still print the whole picture before it exits non-zero.

import type { Logger } from './logger.js';

export interface TaskDef {
  id: string;
  title: string;
  /** Set: the task does not run, and this is why. */
  skip?: string;
  /** `update` sets the task's current status line; resolves with a one-line summary. */
  run(update: (detail: string) => void): Promise<string>;
}

export type TaskStatus = 'done' | 'skipped' | 'failed' | 'not run';

export interface TaskOutcome {
  id: string;
  status: TaskStatus;
  detail: string;
  seconds: number;
}

export interface TaskListResult {
  tasks: TaskOutcome[];
  /** The error of the task that failed, as thrown. */
  error?: unknown;
}

const elapsed = (t0: number) => Math.round((performance.now() - t0) / 100) / 10;
const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

export async function runTaskList(
  tasks: TaskDef[],
  opts: { interactive: boolean; log: Logger; signal?: AbortSignal },
): Promise<TaskListResult> {
  const outcomes = new Map<string, TaskOutcome>();
  let error: unknown;
  const runOne = async (t: TaskDef, update: (d: string) => void) => {
    const t0 = performance.now();
    try {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('interrupted');
      const detail = await t.run(update);
      outcomes.set(t.id, { id: t.id, status: 'done', detail, seconds: elapsed(t0) });
      return outcomes.get(t.id)!;
    } catch (err) {
      error = err;
      outcomes.set(t.id, { id: t.id, status: 'failed', detail: firstLine(err), seconds: elapsed(t0) });
      throw err;
    }
  };

  if (opts.interactive) {
    const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
    // stdout carries only the result: every renderer writes to stderr.
    const logger = () =>
      new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(process.stderr, process.stderr) });
    const list = new Listr(
      tasks.map((t) => ({
        title: t.title,
        task: async (_: unknown, task: { title: string; output: string; skip(message?: string): void }) => {
          if (t.skip !== undefined) {
            outcomes.set(t.id, { id: t.id, status: 'skipped', detail: t.skip, seconds: 0 });
            task.skip(`${t.title} [skipped: ${t.skip}]`);
            return;
          }
          const o = await runOne(t, (d) => {
            task.output = d;
          });
          task.title = `${t.title}: ${o.detail} (${o.seconds}s)`;
        },
      })),
      {
        exitOnError: true,
        registerSignalListeners: false,
        rendererOptions: { collapseErrors: false, collapseSkips: false, logger: logger() },
        fallbackRendererOptions: { logger: logger() },
      },
    );
    await list.run().catch(() => undefined);
  } else {
    for (const t of tasks) {
      if (t.skip !== undefined) {
        outcomes.set(t.id, { id: t.id, status: 'skipped', detail: t.skip, seconds: 0 });
        opts.log.info(`${t.title}: skipped (${t.skip})`);
        continue;
      }
      opts.log.info(`${t.title}...`);
      try {
        const o = await runOne(t, (d) => opts.log.debug(`${t.title}: ${d}`));
        opts.log.info(`${t.title}: ${o.detail} (${o.seconds}s)`);
      } catch (err) {
        opts.log.info(`${t.title}: failed: ${firstLine(err)}`);
        break;
      }
    }
  }
  return {
    tasks: tasks.map((t) => outcomes.get(t.id) ?? { id: t.id, status: 'not run' as const, detail: '', seconds: 0 }),
    ...(error !== undefined ? { error } : {}),
  };
}
