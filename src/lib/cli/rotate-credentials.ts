// The command side of `vk rotate-credentials cpi|csi`: the new password
// (flag, env, or asked on a terminal, never echoed), the run, and its table.

import { Flags } from '@oclif/core';
import { dryRunFlag, dryRunOf, durationMs } from './flags.js';
import type { Table } from './output.js';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import type { RotateComponent, RotateResult } from '../drivers/rotate-credentials.js';

export const rotateFlags = {
  timeout: Flags.string({
    default: '5m',
    summary: 'How long to wait for the restart and the proof together (e.g. 90s, 10m).',
  }),
  'dry-run': dryRunFlag({
    summary: 'Check the new password with a login and say what would change; change nothing.',
  }),
};

export async function rotateCredentials(
  ctx: Context,
  component: RotateComponent,
  flags: { username?: string; password?: string; timeout: string; 'dry-run'?: string; 'storage-class'?: string },
): Promise<RotateResult> {
  const timeoutMs = durationMs(flags.timeout);
  const upper = component.toUpperCase();
  let password = flags.password;
  if (password === undefined && ctx.interactive) {
    const { password: ask } = await import('@inquirer/prompts');
    password = await ask(
      { message: `New password of the ${upper} account`, mask: true },
      { signal: ctx.signal, output: process.stderr },
    );
  }
  if (!password) {
    throw new UsageError(`no new password for the ${upper} account`, {
      hint: `set VK_${upper}_PASSWORD (or --${component}-password)`,
    });
  }
  const [{ rotateStep: step }, { createProgress }, { quietRun }] = await Promise.all([
    import('../drivers/rotate-credentials.js'),
    import('./progress.js'),
    import('./step-run.js'),
  ]);
  const run = quietRun(dryRunOf(flags['dry-run']), createProgress({ interactive: ctx.interactive, log: ctx.log }));
  const input = {
    component,
    username: flags.username,
    password: new Secret(password),
    timeoutMs,
    storageClass: flags['storage-class'],
  };
  const result = await step.apply(ctx, await step.plan(ctx, input, run), run);
  ctx.log.info(step.summary(result));
  return result;
}

export const rotateTable = (r: RotateResult): Table => ({
  columns: ['secret', 'user', 'vcenter', 'result'],
  rows: [[r.secret, r.username, r.servers.join(','), r.action]],
});
