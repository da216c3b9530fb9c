import { VkCommand } from '../../lib/cli/base-command.js';
import { kubeFlags } from '../../lib/cli/flags.js';
import { uninstallFlags, uninstallTable } from '../../lib/cli/uninstall.js';

export default class UninstallCSI extends VkCommand<typeof UninstallCSI> {
  static override summary = 'Remove what vk install csi applied.';

  static override description = `Deletes every object carrying vk's labels for the CSI
(app.kubernetes.io/managed-by=vk, vk.io/component=csi): workloads first, then their config and RBAC, the CSIDriver and the vmware-system-csi namespace.
PersistentVolumes and PersistentVolumeClaims are never touched. Asks for confirmation on a terminal; elsewhere
pass --yes.`;

  static override examples = [
    '<%= config.bin %> uninstall csi',
    '<%= config.bin %> uninstall csi --dry-run',
    '<%= config.bin %> uninstall csi --yes',
  ];

  static override flags = { ...kubeFlags, ...uninstallFlags };

  async run(): Promise<void> {
    const { uninstall } = await import('../../lib/cli/uninstall.js');
    await this.print(await uninstall(this.ctx, 'csi', this.flags), uninstallTable);
  }
}
