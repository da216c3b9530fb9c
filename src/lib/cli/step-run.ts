// A step run by its own command: plan, then apply, each shown as a task of
// the command's progress (a live list on a terminal, plain lines otherwise),
// then its warnings said. The command prints the result and throws
// step.failure(result) itself, after printing.

import type { Context } from '../core/context.js';
import type { DryRunMode, Step, StepRun } from '../core/step.js';
import { createProgress, nestedProgress, type Progress } from './progress.js';

export interface CommandStepOptions<Plan> {
  dryRun: DryRunMode;
  /** Shows the plan as a task of this title (default: no task of its own). */
  planTitle?: string;
  /** Shows the apply as a task of this title; undefined: no task of its own. */
  applyTitle?: (plan: Plan) => string | undefined;
  /** Default: a live list when stderr is a terminal and the output is a table. */
  progress?: Progress;
  /** false: the command acts on what the warnings would say (vk prepare-vms --power-cycle). */
  warnings?: boolean;
}

export async function runCommandStep<I, P, R>(
  ctx: Context,
  step: Step<I, P, R>,
  input: I,
  opts: CommandStepOptions<P>,
): Promise<{ plan: P; result: R; progress: Progress }> {
  const progress =
    opts.progress ?? createProgress({ interactive: ctx.interactive && ctx.output === 'table', log: ctx.log });
  const run = (update: (s: string) => void) => ({ dryRun: opts.dryRun, progress, update });
  const quiet = () => undefined;
  const plan = opts.planTitle
    ? await progress.step(opts.planTitle, (update) => step.plan(ctx, input, run(update)))
    : await step.plan(ctx, input, run(quiet));
  const title = opts.applyTitle?.(plan);
  const result = title
    ? await progress.step(title, (update) => step.apply(ctx, plan, run(update)))
    : await step.apply(ctx, plan, run(quiet));
  if (opts.warnings !== false) for (const w of step.warnings?.(result) ?? []) ctx.log.warn(w);
  return { plan, result, progress };
}

/** A StepRun for a command that shows no task list of its own: sub-tasks and status lines go nowhere. */
export const quietRun = (dryRun: DryRunMode, progress: Progress = nestedProgress(() => undefined)): StepRun => ({
  dryRun,
  progress,
  update: () => undefined,
});
