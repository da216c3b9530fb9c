// The command side of `vk uninstall cpi|csi|snapshots`: the flags, plan,
// confirm (a prompt on a terminal, --yes elsewhere), delete, the table.

import { Flags } from '@oclif/core';
import type { Context } from '../core/context.js';
import { UsageError, VkError } from '../core/errors.js';
import { componentName, type ManagedComponent } from '../drivers/manifests/transforms.js';
import { uninstallStep, type UninstallResult } from '../drivers/uninstall.js';
import { quietRun } from './step-run.js';
import { dryRunFlag, isDryRun } from './flags.js';
import type { Table } from './output.js';

export const uninstallFlags = {
  yes: Flags.boolean({ char: 'y', summary: 'Delete without asking.' }),
  'dry-run': dryRunFlag({ summary: 'client (or bare --dry-run): list what would be deleted; delete nothing.' }),
};

export const uninstallTable = (r: UninstallResult): Table => ({
  columns: ['kind', 'namespace', 'name', 'result'],
  rows: r.objects.map((o) => [o.kind, o.namespace, o.name, o.action]),
});

export async function uninstall(
  ctx: Context,
  component: ManagedComponent,
  flags: { yes: boolean; 'dry-run'?: string },
): Promise<UninstallResult> {
  const opts = { yes: flags.yes, dryRun: isDryRun(flags['dry-run']) };
  const name = componentName(component);
  if (!opts.yes && !opts.dryRun && !ctx.interactive) {
    throw new UsageError(`refusing to uninstall the ${name} without confirmation`, {
      hint: 'pass --yes (or --dry-run to see what would be deleted)',
    });
  }
  const kube = await ctx.kube();
  const run = quietRun(opts.dryRun ? 'client' : 'none');
  const plan = await uninstallStep.plan(ctx, component, run);
  if (plan.objects.length === 0) {
    ctx.log.info(`nothing to uninstall: no objects labelled as vk's ${name}`);
    return { ...plan, dryRun: opts.dryRun, objects: [] };
  }
  if (!opts.yes && !opts.dryRun) {
    const { confirm } = await import('@inquirer/prompts');
    const ok = await confirm(
      { message: `Delete ${plan.objects.length} objects of the ${name} from ${kube.context}?`, default: false },
      { signal: ctx.signal, output: process.stderr },
    );
    if (!ok) throw new VkError('uninstall cancelled; nothing was deleted');
  }
  const result = await uninstallStep.apply(ctx, plan, run);
  ctx.log.info(uninstallStep.summary(result));
  return result;
}
