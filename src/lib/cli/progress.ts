// Progress of a multi-step command on stderr: a listr2 task list on a
// terminal (loaded only then), plain "step: done (1.2s)" lines otherwise so CI
// logs stay readable. Steps run one after the other; a failing step stops
// the list and its error propagates unchanged.

import type { Logger } from './logger.js';

export interface Progress {
  /** Runs one step; `update` replaces its detail text (e.g. "2 of 3 pods ready"). */
  step<R>(title: string, fn: (update: (detail: string) => void) => Promise<R>): Promise<R>;
  /** A step that was not needed, shown as skipped with the reason. */
  skip(title: string, reason: string): void;
}

export function createProgress(opts: { interactive: boolean; log: Logger; quiet?: boolean }): Progress {
  if (opts.interactive && !opts.quiet) return listrProgress();
  return {
    async step(title, fn) {
      const started = performance.now();
      let last = '';
      const result = await fn((detail) => {
        if (detail !== last) opts.log.debug(`${title}: ${detail}`);
        last = detail;
      });
      opts.log.info(`${title}: done (${seconds(started)})`);
      return result;
    },
    skip(title, reason) {
      opts.log.info(`${title}: skipped (${reason})`);
    },
  };
}

const seconds = (started: number) => `${((performance.now() - started) / 1000).toFixed(1)}s`;

function listrProgress(): Progress {
  return {
    async step(title, fn) {
      const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
      let result: Awaited<ReturnType<typeof fn>> | undefined;
      // stdout carries only the result: both renderers write to stderr (the simple one is
      // listr2's choice when stdout is piped).
      const logger = () =>
        new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(process.stderr, process.stderr) });
      const list = new Listr(
        [
          {
            title,
            task: async (_ctx, task) => {
              const started = performance.now();
              result = await fn((detail) => {
                task.output = detail;
              });
              task.title = `${title} (${seconds(started)})`;
            },
          },
        ],
        {
          rendererOptions: { collapseErrors: false, logger: logger() },
          fallbackRendererOptions: { logger: logger() },
          exitOnError: true,
          registerSignalListeners: false,
        },
      );
      await list.run();
      return result as Awaited<ReturnType<typeof fn>>;
    },
    skip(title, reason) {
      process.stderr.write(`↓ ${title} [skipped: ${reason}]\n`);
    },
  };
}
