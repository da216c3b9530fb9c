import { Flags } from '@oclif/core';
import { VkCommand } from '../../lib/cli/base-command.js';
import { dryRunFlag, isDryRun, kubeFlags } from '../../lib/cli/flags.js';

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

  static override flags = {
    ...kubeFlags,
    yes: Flags.boolean({ char: 'y', summary: 'Delete without asking.' }),
    'dry-run': dryRunFlag({ summary: 'client (or bare --dry-run): list what would be deleted; delete nothing.' }),
  };

  async run(): Promise<void> {
    const { uninstall } = await import('../../lib/cli/uninstall.js');
    const result = await uninstall(this.ctx, 'snapshots', {
      yes: this.flags.yes,
      dryRun: isDryRun(this.flags['dry-run']),
    });
    await this.print(result, (r) => ({
      columns: ['kind', 'namespace', 'name', 'result'],
      rows: r.objects.map((o) => [o.kind, o.namespace, o.name, o.action]),
    }));
  }
}
