import { Flags } from '@oclif/core';
import { VkCommand } from '../../lib/cli/base-command.js';
import { dryRunFlag, isDryRun, kubeFlags } from '../../lib/cli/flags.js';

export default class UninstallCPI extends VkCommand<typeof UninstallCPI> {
  static override summary = 'Remove what vk install cpi applied.';

  static override description = `Deletes every object carrying vk's labels for the CPI
(app.kubernetes.io/managed-by=vk, vk.io/component=cpi): workloads first, then their config and RBAC.
PersistentVolumes and PersistentVolumeClaims are never touched. Asks for confirmation on a terminal; elsewhere
pass --yes.`;

  static override examples = [
    '<%= config.bin %> uninstall cpi',
    '<%= config.bin %> uninstall cpi --dry-run',
    '<%= config.bin %> uninstall cpi --yes',
  ];

  static override flags = {
    ...kubeFlags,
    yes: Flags.boolean({ char: 'y', summary: 'Delete without asking.' }),
    'dry-run': dryRunFlag({ summary: 'client (or bare --dry-run): list what would be deleted; delete nothing.' }),
  };

  async run(): Promise<void> {
    const { uninstall } = await import('../../lib/cli/uninstall.js');
    const result = await uninstall(this.ctx, 'cpi', { yes: this.flags.yes, dryRun: isDryRun(this.flags['dry-run']) });
    await this.print(result, (r) => ({
      columns: ['kind', 'namespace', 'name', 'result'],
      rows: r.objects.map((o) => [o.kind, o.namespace, o.name, o.action]),
    }));
  }
}
