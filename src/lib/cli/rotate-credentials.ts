// The command side of `vk rotate-credentials cpi|csi`: the new password
// (flag, env, or asked on a terminal, never echoed), the run, and its table.

import { Flags } from '@oclif/core';
import { dryRunFlag, isDryRun } from './flags.js';
import type { Table } from './output.js';
import type { Context } from '../core/context.js';
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../kube/duration.js';
import { Secret } from '../core/secret.js';
import { generateDeps } from '../drivers/generate.js';
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
  const timeoutMs = parseDuration(flags.timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) {
    throw new UsageError(`invalid --timeout "${flags.timeout}": use a duration such as 90s, 5m or 1h`);
  }
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
  const steps = await import('../drivers/rotate-credentials.js');
  const { createProgress } = await import('./progress.js');
  const deps = generateDeps(ctx);
  const plan = await steps.planRotate(
    ctx,
    {
      component,
      username: flags.username,
      password: new Secret(password),
      timeoutMs,
      dryRun: isDryRun(flags['dry-run']),
      storageClass: flags['storage-class'],
    },
    {
      verifyLogin: deps.verifyLogin,
      vcenterHost: async () => (await ctx.vsphere()).options.url.hostname,
    },
  );
  const result = await steps.applyRotate(ctx, plan, createProgress({ interactive: ctx.interactive, log: ctx.log }));
  if (result.action === 'rotated') {
    const proof = [`${result.proof.pods.length} pod(s) ready without a login failure`];
    if (result.proof.volume) proof.push(`volume ${result.proof.volume} provisioned and deleted`);
    ctx.log.info(`${upper}: the new password of ${result.username} is in use: ${proof.join('; ')}`);
  } else if (result.action === 'would rotate') {
    ctx.log.info(
      `dry run: the new password works; would update ${result.secret} and restart the ${upper}; nothing was changed`,
    );
  }
  return result;
}

export const rotateTable = (r: RotateResult): Table => ({
  columns: ['secret', 'user', 'vcenter', 'result'],
  rows: [[r.secret, r.username, r.servers.join(','), r.action]],
});
