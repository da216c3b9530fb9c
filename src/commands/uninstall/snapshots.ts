import { VkCommand } from '../../lib/cli/base-command.js';
import { kubeFlags } from '../../lib/cli/flags.js';
import { uninstallFlags, uninstallTable } from '../../lib/cli/uninstall.js';

export default class UninstallSnapshots extends VkCommand<typeof UninstallSnapshots> {
  static override summary = 'Remove the snapshot-controller vk install snapshots applied.';

  static override description = `Deletes every object carrying vk's labels for snapshots
(app.kubernetes.io/managed-by=vk, vk.io/component=snapshots): the snapshot-controller Deployment and its RBAC. The
snapshot CRDs, VolumeSnapshotClasses, VolumeSnapshots and their CNS snapshots are kept: they hold data, and other
tools (backup operators) may use them. Asks for confirmation on a terminal; elsewhere pass --yes.`;

  static override examples = [
    '<%= config.bin %> uninstall snapshots',
    '<%= config.bin %> uninstall snapshots --dry-run',
    '<%= config.bin %> uninstall snapshots --yes',
  ];

  static override flags = { ...kubeFlags, ...uninstallFlags };

  async run(): Promise<void> {
    const { uninstall } = await import('../../lib/cli/uninstall.js');
    await this.print(await uninstall(this.ctx, 'snapshots', this.flags), uninstallTable);
  }
}
