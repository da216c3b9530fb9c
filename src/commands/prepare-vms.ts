import { Args, Flags } from '@oclif/core';
import { VkCommand } from '../lib/cli/base-command.js';
import { dryRunFlag, isDryRun, vsphereFlags } from '../lib/cli/flags.js';
import type { Table } from '../lib/cli/output.js';
import { UsageError, VkError } from '../lib/core/errors.js';
import { parseDuration } from '../lib/kube/duration.js';
import type { PrepareVmsResult } from '../lib/vms/prepare-vms.js';

export default class PrepareVms extends VkCommand<typeof PrepareVms> {
  static override summary = 'Set disk.enableUUID=TRUE on every VM of a folder (needed by the vSphere CSI driver).';

  static override description = `Reads every VM under FOLDER (an inventory path such as /DC0/vm/k8s, or a path relative to the datacenter's VM folder such as k8s; subfolders included unless --no-recursive) in one PropertyCollector pass, and reconfigures only the VMs whose disk.enableUUID is not already true, --concurrency at a time. Templates are skipped. Re-running on a prepared folder changes nothing.

--timeout bounds the wait for vCenter's tasks: a VM whose task has not finished by then, or whose task vCenter no longer reports, is reported as failed, named with its task.

A powered-on VM sees the new value only after a full power cycle (guest shutdown and power on; a reboot inside the guest is not enough): those VMs are named in a warning. --power-cycle does it, one VM at a time, after a confirmation (--yes when not on a terminal).

Exit codes: 0 all VMs prepared (or nothing to do), 1 a VM failed or no VM found, 2 usage error.`;

  static override examples = [
    { description: 'Prepare every VM under /DC0/vm/k8s', command: '<%= config.bin %> <%= command.id %> k8s' },
    {
      description: 'Show what would change, change nothing',
      command: '<%= config.bin %> <%= command.id %> /DC0/vm/k8s --dry-run',
    },
    {
      description: 'Only the workers, not in subfolders, as JSON',
      command: "<%= config.bin %> <%= command.id %> k8s --include 'worker-*' --no-recursive -o json",
    },
    {
      description: 'Prepare and power-cycle the running VMs one by one, without asking',
      command: '<%= config.bin %> <%= command.id %> k8s --power-cycle --yes',
    },
  ];

  static override args = {
    folder: Args.string({ description: 'VM folder: inventory path (/DC0/vm/k8s) or relative to the VM folder (k8s).' }),
  };

  static override flags = {
    ...vsphereFlags,
    folder: Flags.string({ summary: 'VM folder (same as the FOLDER argument).' }),
    recursive: Flags.boolean({ default: true, allowNo: true, summary: 'Include VMs in subfolders.' }),
    include: Flags.string({ multiple: true, summary: 'Only VMs whose name matches this glob (repeatable).' }),
    exclude: Flags.string({ multiple: true, summary: 'Skip VMs whose name matches this glob (repeatable).' }),
    concurrency: Flags.integer({ min: 1, max: 64, default: 8, summary: 'Reconfigure tasks started in parallel.' }),
    'dry-run': dryRunFlag({ summary: 'client (or bare --dry-run): show what would change; change nothing.' }),
    'power-cycle': Flags.boolean({
      summary: 'Power-cycle the powered-on VMs that changed, one at a time (asks first; --yes when not on a terminal).',
    }),
    yes: Flags.boolean({ char: 'y', summary: 'Answer yes to the --power-cycle confirmation.' }),
    timeout: Flags.string({
      default: '10m',
      summary: 'Time allowed for the vCenter tasks (all reconfigures; each power-off and power-on), e.g. 90s, 10m.',
    }),
    'shutdown-timeout': Flags.integer({
      min: 1,
      default: 120,
      summary: 'Seconds to wait for a guest shutdown before powering the VM off.',
    }),
  };

  async run(): Promise<void> {
    const folder = this.flags.folder ?? this.args.folder;
    if (this.flags.folder && this.args.folder && this.flags.folder !== this.args.folder) {
      throw new UsageError('FOLDER and --folder disagree', { hint: 'give the folder once' });
    }
    const taskTimeoutMs = parseDuration(this.flags.timeout);
    if (taskTimeoutMs === undefined || taskTimeoutMs <= 0) {
      throw new UsageError(`invalid --timeout "${this.flags.timeout}"`, { hint: 'use a duration such as 90s or 10m' });
    }
    const dryRun = isDryRun(this.flags['dry-run']);
    const powerCycle = this.flags['power-cycle'] && !dryRun;
    if (powerCycle && !this.flags.yes && !this.ctx.interactive) {
      throw new UsageError('--power-cycle needs confirmation and there is no terminal to ask on', {
        hint: 'pass --yes to confirm',
      });
    }
    const steps = await import('../lib/vms/prepare-vms.js');
    const input = {
      folder: folder ?? '',
      recursive: this.flags.recursive,
      include: this.flags.include ?? [],
      exclude: this.flags.exclude ?? [],
      datacenter: undefined as string | undefined,
    };
    steps.validatePrepareInput(input);

    const session = await this.ctx.vsphere();
    input.datacenter = session.options.datacenter;
    const { createProgress } = await import('../lib/cli/progress.js');
    const progress = createProgress({ interactive: this.ctx.interactive, log: this.ctx.log });
    const plan = await progress.step(`Reading VMs under ${input.folder}`, () =>
      steps.planPrepareVms(session.client, input),
    );
    const toSet = plan.vms.filter((v) => v.action === 'set').length;
    const applyOptions = {
      concurrency: this.flags.concurrency,
      dryRun,
      taskTimeoutMs,
      signal: this.ctx.signal,
    };
    const result =
      toSet === 0
        ? await steps.applyPrepareVms(session.client, plan, applyOptions)
        : await progress.step(
            applyOptions.dryRun
              ? `Dry run: ${toSet} of ${plan.vms.length} VMs would change`
              : `Setting ${steps.ENABLE_UUID_KEY}=${steps.ENABLE_UUID_VALUE} on ${toSet} of ${plan.vms.length} VMs`,
            (update) => steps.applyPrepareVms(session.client, plan, { ...applyOptions, progress: update }),
          );
    await this.print(result, resultTable);
    this.ctx.log.info(steps.summarizePrepareResult(result));
    for (const vm of result.vms.filter((v) => v.result === 'failed')) {
      this.ctx.log.warn(`${vm.path}: ${vm.error}`);
    }

    const cycle = plan.vms.filter((v) => result.needPowerCycle.includes(v.name));
    if (cycle.length > 0 && !powerCycle) {
      this.ctx.log.warn(
        `${cycle.length} powered-on VM${cycle.length === 1 ? '' : 's'} see the new value only after a full power cycle ` +
          `(guest shutdown and power on, not a reboot): ${nameList(cycle.map((v) => v.name))}` +
          (dryRun ? '' : '; shut them down and power them on (--power-cycle does this along with the change)'),
      );
    }
    if (cycle.length > 0 && powerCycle) {
      if (!this.flags.yes) {
        const { confirm } = await import('@inquirer/prompts');
        const ok = await confirm(
          {
            message: `Power-cycle ${cycle.length} VMs one at a time (${nameList(cycle.map((v) => v.name))})?`,
            default: false,
          },
          { output: process.stderr, signal: this.ctx.signal },
        );
        if (!ok) throw new VkError('power cycle not confirmed; nothing was powered off', { exitCode: 1 });
      }
      const cycled = await progress.step(`Power-cycling ${cycle.length} VMs one at a time`, (update) =>
        steps.powerCycleVms(session.client, cycle, {
          shutdownTimeoutMs: this.flags['shutdown-timeout'] * 1000,
          taskTimeoutMs,
          progress: update,
          signal: this.ctx.signal,
        }),
      );
      for (const c of cycled)
        this.ctx.log.info(`${c.name}: ${c.error ? `failed: ${c.error}` : `power-cycled (${c.stoppedBy})`}`);
      const bad = cycled.find((c) => c.error);
      if (bad)
        throw new VkError(`power cycle of ${bad.name} failed: ${bad.error}`, {
          hint: 'the remaining VMs were not touched',
        });
      if (cycled.length < cycle.length) throw new VkError('power cycle interrupted');
    }

    const failed = result.vms.filter((v) => v.result === 'failed');
    if (failed.length) {
      throw new VkError(`${failed.length} of ${result.vms.length} VMs failed: ${failed[0]!.name}: ${failed[0]!.error}`);
    }
  }
}

/** Names for a warning line: all of a few, the first 20 of many (JSON output has every one). */
function nameList(names: string[], max = 20): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

function resultTable(r: PrepareVmsResult): Table {
  return {
    columns: ['vm', 'power', 'before', 'after', 'result'],
    rows: r.vms.map((v) => {
      const unset = v.unreadable ? '(unreadable)' : '(unset)';
      return [v.path, v.power, v.before ?? unset, v.after ?? unset, v.result];
    }),
  };
}
