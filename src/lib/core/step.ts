// The one contract every step of vk honours, so that its own command and
// `vk up` run the same code:
//
//   validate(input)         rejects bad input before any request (a usage error, exit 2)
//   plan(ctx, input, run)   validates, reads vCenter and the cluster; writes nothing
//   describe(plan)          the plan as plain, redacted data (what --dry-run prints)
//   apply(ctx, plan, run)   makes the plan true; with run.dryRun, says what it would do
//   summary(result)         one line: what was done (or would be)
//   warnings(result)        what the user should still act on
//   failure(result)         the error a result amounts to, or undefined
//
// vk up validates every step's input before its first step runs, so bad
// input anywhere is a usage error with nothing changed.

import type { Context } from './context.js';
import type { VkError } from './errors.js';
import type { Progress } from '../cli/progress.js';

/** --dry-run's modes, as kubectl's: none, client (plan only) and server (the API server validates). */
export type DryRunMode = 'none' | 'client' | 'server';

export interface StepRun {
  dryRun: DryRunMode;
  /** Sub-tasks of the step (an install's apply, rollout and verification) and status lines. */
  progress: Progress;
  /** Sets the step's current status line. */
  update: (status: string) => void;
}

export interface Step<Input, Plan, Result> {
  readonly id: string;
  readonly title: string;
  validate(input: Input): void;
  plan(ctx: Context, input: Input, run: StepRun): Promise<Plan>;
  describe(plan: Plan): unknown;
  apply(ctx: Context, plan: Plan, run: StepRun): Promise<Result>;
  summary(result: Result): string;
  warnings?(result: Result): string[];
  failure(result: Result): VkError | undefined;
}

/** A step of any input, plan and result, for lists of steps. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStep = Step<any, any, any>;

export interface StepOutcome<Plan, Result> {
  plan: Plan;
  result: Result;
}

/**
 * Runs a step through: plan, apply, its warnings said, its failure thrown.
 * `onPlan` sees the plan before anything changes (vk up keeps it for --dry-run).
 */
export async function runStep<I, P, R>(
  ctx: Context,
  step: Step<I, P, R>,
  input: I,
  run: StepRun,
  onPlan?: (plan: P) => void,
): Promise<StepOutcome<P, R>> {
  const plan = await step.plan(ctx, input, run);
  onPlan?.(plan);
  const result = await step.apply(ctx, plan, run);
  for (const w of step.warnings?.(result) ?? []) ctx.log.warn(w);
  const err = step.failure(result);
  if (err) throw err;
  return { plan, result };
}
