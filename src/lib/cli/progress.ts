// Progress of long operations on stderr — the one place vk shows it. On a
// terminal a listr2 task list (imported only then); otherwise plain lines
// through the command's Logger, so CI logs stay readable and secrets are
// redacted:
//
//   Apply 7 objects...
//     3 of 7 applied                          (status lines, at most one a second)
//   Apply 7 objects: done (112ms)
//   Taint uninitialized nodes: skipped (every node has a providerID)
//   Verify every node is initialized: failed (5.2s): 1 of 3 nodes not initialized
//
// Tasks run one after the other; the first failure stops the list and the
// tasks after it are not run. stdout is never touched.

import { InterruptedError } from '../core/errors.js';
import { formatDuration } from '../kube/duration.js';
import type { Logger } from './logger.js';

/** What a task's run() resolves with: a one-line detail, nothing, or a skip decided while running. */
export type TaskEnd = string | void | { skipped: string };

export interface Task {
  /** Names the task in the result; defaults to the title. */
  id?: string;
  title: string;
  /** Set: the task does not run, and this is why. */
  skip?: string;
  /** `update` sets the task's current status line. */
  run(update: (status: string) => void): Promise<TaskEnd>;
}

export type TaskStatus = 'done' | 'skipped' | 'failed' | 'not run';

export interface TaskOutcome {
  id: string;
  status: TaskStatus;
  /** The task's detail, the skip reason, or the first line of the error. */
  detail: string;
  seconds: number;
}

export interface TaskListResult {
  tasks: TaskOutcome[];
  /** The error of the task that failed, as thrown. */
  error?: unknown;
}

export interface Progress {
  /** Runs the tasks in order. Failures are returned, not thrown, so the caller can report every task. */
  list(tasks: Task[]): Promise<TaskListResult>;
  /** Runs one task and returns its value; its error propagates unchanged. */
  step<R>(title: string, fn: (update: (status: string) => void) => Promise<R>): Promise<R>;
  /** Shows a task that was not needed, with the reason. */
  skip(title: string, reason: string): Promise<void>;
}

export interface ProgressOptions {
  /** stderr is a terminal: show a live listr2 list. */
  interactive: boolean;
  log: Logger;
  signal?: AbortSignal;
  /** Plain mode: the least time between two status lines of a task. */
  statusIntervalMs?: number;
}

export function createProgress(opts: ProgressOptions): Progress {
  return progressOver((tasks) => (opts.interactive ? listrList(tasks, opts) : plainList(tasks, opts)));
}

/**
 * Progress shown inside an enclosing task: each inner task becomes that task's
 * status line (e.g. `vk up` running the steps of `vk install cpi`).
 */
export function nestedProgress(update: (status: string) => void): Progress {
  return progressOver((tasks) =>
    sequence(tasks, undefined, {
      start: (t) => update(t.title),
      update: (t, s) => update(`${t.title}: ${s}`),
      end: (t, o) => {
        if (o.status === 'skipped') update(`${t.title}: skipped (${o.detail})`);
      },
    }),
  );
}

function progressOver(list: Progress['list']): Progress {
  return {
    list,
    async step<R>(title: string, fn: (update: (status: string) => void) => Promise<R>): Promise<R> {
      let value: R | undefined;
      const r = await list([
        {
          title,
          run: async (update) => {
            value = await fn(update);
          },
        },
      ]);
      if ('error' in r) throw r.error;
      return value as R;
    },
    async skip(title, reason) {
      await list([{ title, skip: reason, run: async () => undefined }]);
    },
  };
}

const idOf = (t: Task) => t.id ?? t.title;
const skipped = (t: Task, reason: string): TaskOutcome => ({
  id: idOf(t),
  status: 'skipped',
  detail: reason,
  seconds: 0,
});
const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** How a task ended, as one line after its title ("done (1.2s): 3 changed"). */
function formatOutcome(o: Pick<TaskOutcome, 'status' | 'detail'> & { ms?: number }): string {
  if (o.ms === undefined) return `${o.status}${o.detail ? ` (${o.detail})` : ''}`;
  return `${o.status} (${formatDuration(o.ms)})${o.detail ? `: ${o.detail}` : ''}`;
}

interface Hooks {
  start(t: Task): void;
  update(t: Task, status: string): void;
  end(t: Task, outcome: TaskOutcome, ms: number | undefined): void;
}

/** Runs one task, timing it; a thrown error becomes a failed outcome that carries it. */
async function runTask(t: Task, update: (s: string) => void, signal: AbortSignal | undefined) {
  const t0 = performance.now();
  const outcome = (status: TaskStatus, detail: string) => ({
    outcome: { id: idOf(t), status, detail, seconds: Math.round((performance.now() - t0) / 100) / 10 },
    ms: performance.now() - t0,
  });
  try {
    if (signal?.aborted) throw signal.reason ?? new InterruptedError();
    const end = await t.run(update);
    if (typeof end === 'object') return outcome('skipped', end.skipped);
    return outcome('done', end ?? '');
  } catch (err) {
    return { ...outcome('failed', firstLine(err)), error: err };
  }
}

/** The core of the plain and nested lists: in order, stop at the first failure. */
async function sequence(tasks: Task[], signal: AbortSignal | undefined, hooks: Hooks): Promise<TaskListResult> {
  const done: TaskOutcome[] = [];
  for (const t of tasks) {
    if (t.skip !== undefined) {
      const o = skipped(t, t.skip);
      done.push(o);
      hooks.end(t, o, undefined);
      continue;
    }
    hooks.start(t);
    const r = await runTask(t, (s) => hooks.update(t, s), signal);
    done.push(r.outcome);
    hooks.end(t, r.outcome, r.ms);
    if ('error' in r) return { tasks: withNotRun(tasks, done), error: r.error };
  }
  return { tasks: done };
}

const withNotRun = (tasks: Task[], done: TaskOutcome[]): TaskOutcome[] => [
  ...done,
  ...tasks.slice(done.length).map((t) => ({ id: idOf(t), status: 'not run' as const, detail: '', seconds: 0 })),
];

/** Plain lines: the title, its status lines thinned out, then how it ended. */
function plainList(tasks: Task[], opts: ProgressOptions): Promise<TaskListResult> {
  const minIntervalMs = opts.statusIntervalMs ?? 1000;
  let last = -Infinity;
  let lastShown: string | undefined;
  let pending: string | undefined;
  return sequence(tasks, opts.signal, {
    start(t) {
      opts.log.info(`${t.title}...`);
      last = -Infinity;
      lastShown = pending = undefined;
    },
    update(_t, status) {
      const now = performance.now();
      if (status === lastShown) return;
      if (now - last >= minIntervalMs) {
        opts.log.info(`  ${status}`);
        [last, lastShown, pending] = [now, status, undefined];
      } else pending = status;
    },
    end(t, o, ms) {
      if (pending !== undefined) opts.log.info(`  ${pending}`);
      pending = undefined;
      opts.log.info(`${t.title}: ${formatOutcome({ ...o, ms })}`);
    },
  });
}

/** listr2's list on stderr; the same outcomes as the plain list. */
async function listrList(tasks: Task[], opts: ProgressOptions): Promise<TaskListResult> {
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  // stdout carries only the result: the renderer writes to stderr.
  const logger = new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(process.stderr, process.stderr) });
  const done: TaskOutcome[] = [];
  let failure: { error: unknown } | undefined;
  const list = new Listr(
    tasks.map((t) => ({
      title: t.title,
      task: async (_: unknown, task: { title: string; output: string; skip(message?: string): void }) => {
        if (t.skip !== undefined) {
          const o = skipped(t, t.skip);
          done.push(o);
          task.skip(`${t.title}: ${formatOutcome(o)}`);
          return;
        }
        const r = await runTask(
          t,
          (s) => {
            task.output = s;
          },
          opts.signal,
        );
        done.push(r.outcome);
        if ('error' in r) {
          failure = { error: r.error };
          throw r.error;
        }
        const o = r.outcome;
        if (o.status === 'skipped') task.skip(`${t.title}: ${formatOutcome({ ...o, ms: r.ms })}`);
        else task.title = `${t.title} (${formatDuration(r.ms)})${o.detail ? `: ${o.detail}` : ''}`;
      },
    })),
    {
      exitOnError: true,
      registerSignalListeners: false,
      // vk has checked that stderr is a terminal; listr2 looks at stdout (maybe a pipe
      // carrying the result) and would fall back to its line renderer.
      renderer: 'default',
      fallbackRenderer: 'default',
      rendererOptions: { collapseErrors: false, logger },
      fallbackRendererOptions: { collapseErrors: false, logger },
    },
  );
  await list.run().catch(() => undefined);
  return { tasks: withNotRun(tasks, done), ...failure };
}
