import { Args } from '@oclif/core';
import { VkCommand } from '../lib/cli/base-command.js';
import { vsphereFlags } from '../lib/cli/flags.js';
import { prepareVmsFlags } from '../lib/cli/prepare-vms.js';

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

  static override flags = { ...vsphereFlags, ...prepareVmsFlags };

  async run(): Promise<void> {
    const [cli, { runCommandStep }, vms] = await Promise.all([
      import('../lib/cli/prepare-vms.js'),
      import('../lib/cli/step-run.js'),
      import('../lib/vms/prepare-vms.js'),
    ]);
    const cmd = cli.prepareCommandInput(this.flags, this.args.folder, this.ctx.interactive);
    const step = vms.prepareVmsStep;
    step.validate(cmd.input);
    const { plan, result, progress } = await runCommandStep(this.ctx, step, cmd.input, {
      dryRun: cmd.dryRun,
      planTitle: `Reading VMs under ${cmd.input.folder}`,
      applyTitle: (p) => cli.applyTitle(p, cmd.dryRun !== 'none', `${vms.ENABLE_UUID_KEY}=${vms.ENABLE_UUID_VALUE}`),
      warnings: !cmd.powerCycle,
    });
    await this.print(result, cli.prepareTable);
    this.ctx.log.info(step.summary(result));
    for (const vm of result.vms.filter((v) => v.result === 'failed')) this.ctx.log.warn(`${vm.path}: ${vm.error}`);
    if (cmd.powerCycle) await cli.powerCycleChanged(this.ctx, cmd, plan, result, progress);
    const err = step.failure(result);
    if (err) throw err;
  }
}
