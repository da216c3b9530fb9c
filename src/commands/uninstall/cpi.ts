import { VkCommand } from '../../lib/cli/base-command.js';
import { kubeFlags } from '../../lib/cli/flags.js';
import { uninstallFlags, uninstallTable } from '../../lib/cli/uninstall.js';

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

  static override flags = { ...kubeFlags, ...uninstallFlags };

  async run(): Promise<void> {
    const { uninstall } = await import('../../lib/cli/uninstall.js');
    await this.print(await uninstall(this.ctx, 'cpi', this.flags), uninstallTable);
  }
}
