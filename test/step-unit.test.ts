// The Step contract's runner: plan, apply, warnings said, failure thrown.
import { describe, expect, it } from 'vitest';
import type { Context } from '../src/lib/core/context.js';
import { VkError } from '../src/lib/core/errors.js';
import { runStep, type Step, type StepRun } from '../src/lib/core/step.js';
import { nestedProgress } from '../src/lib/cli/progress.js';

function fixture() {
  const said: string[] = [];
  const ctx = { log: { warn: (m: string) => said.push(`warn: ${m}`) } } as unknown as Context;
  const run: StepRun = { dryRun: 'none', progress: nestedProgress(() => undefined), update: () => undefined };
  const step: Step<number, number, number> = {
    id: 'double',
    title: 'Double',
    validate: (n) => {
      if (n < 0) throw new VkError('negative');
    },
    plan: async (_ctx, n) => {
      said.push(`plan ${n}`);
      return n * 2;
    },
    describe: (p) => ({ p }),
    apply: async (_ctx, p) => {
      said.push(`apply ${p}`);
      return p + 1;
    },
    summary: (r) => `got ${r}`,
    warnings: (r) => (r > 10 ? [`${r} is big`] : []),
    failure: (r) => (r > 100 ? new VkError(`${r} is too big`) : undefined),
  };
  return { said, ctx, run, step };
}

describe('runStep', () => {
  it('plans, shows the plan, applies, says the warnings', async () => {
    const { said, ctx, run, step } = fixture();
    const seen: unknown[] = [];
    const out = await runStep(ctx, step, 6, run, (p) => seen.push(step.describe(p)));
    expect(out).toEqual({ plan: 12, result: 13 });
    expect(seen).toEqual([{ p: 12 }]);
    expect(said).toEqual(['plan 6', 'apply 12', 'warn: 13 is big']);
  });

  it("throws the result's failure after its warnings", async () => {
    const { said, ctx, run, step } = fixture();
    await expect(runStep(ctx, step, 60, run)).rejects.toThrow('121 is too big');
    expect(said).toEqual(['plan 60', 'apply 120', 'warn: 121 is big']);
  });
});
