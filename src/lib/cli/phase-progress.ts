// Progress for long steps on stderr: listr2's default renderer on a terminal
// (imported only then), one plain line per phase and per change otherwise,
// so CI logs stay readable. stdout is never touched.

import type { Logger } from './logger.js';

export interface Phase<R> {
  title: string;
  /** `update` sets the phase's current status line. */
  run(update: (message: string) => void): Promise<R>;
}

export interface ProgressReporter {
  phase<R>(phase: Phase<R>): Promise<R>;
}

/** Plain lines: the phase title, then each status change (repeats and bursts are thinned out). */
export function lineReporter(log: Logger, minIntervalMs = 1000): ProgressReporter {
  return {
    async phase<R>(p: Phase<R>): Promise<R> {
      log.info(`${p.title}...`);
      let last = 0;
      let pending: string | undefined;
      const result = await p.run((m) => {
        const now = Date.now();
        if (now - last >= minIntervalMs) {
          log.info(`  ${m}`);
          last = now;
          pending = undefined;
        } else pending = m;
      });
      if (pending) log.info(`  ${pending}`);
      return result;
    },
  };
}

/** listr2 with its default renderer, one task per phase, on stderr. */
export function ttyReporter(): ProgressReporter {
  return {
    async phase<R>(p: Phase<R>): Promise<R> {
      const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
      // The renderer writes to "stdout" of its ProcessOutput: point both at stderr.
      const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
      let result!: R;
      const list = new Listr(
        [
          {
            title: p.title,
            task: async (_ctx, task) => {
              result = await p.run((m) => {
                task.output = m;
              });
            },
            rendererOptions: { persistentOutput: false },
          },
        ],
        {
          concurrent: false,
          exitOnError: true,
          // vk has checked that stderr is a terminal; listr2 looks at stdout (maybe a pipe
          // carrying the result) and would fall back, so the fallback is the same renderer.
          renderer: 'default',
          fallbackRenderer: 'default',
          rendererOptions: { collapseErrors: false, logger },
          fallbackRendererOptions: { collapseErrors: false, logger },
        },
      );
      await list.run();
      return result;
    },
  };
}

export function progressReporter(interactive: boolean, log: Logger): ProgressReporter {
  return interactive ? ttyReporter() : lineReporter(log);
}
