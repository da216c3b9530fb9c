import { VkCommand } from '../../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../../lib/cli/flags.js';
import type { Table } from '../../lib/cli/output.js';

export default class StorageClassList extends VkCommand<typeof StorageClassList> {
  static override summary =
    'List StorageClasses with provisioner, default mark and the datastore behind each datastoreurl.';

  static override description = `Like kubectl get storageclass, plus the name of the datastore each datastoreurl parameter points at (looked up in one vCenter request when a vCenter is configured) and the storage policy.`;

  static override examples = [
    { description: 'List the classes', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'As JSON, for scripts', command: '<%= config.bin %> <%= command.id %> -o json' },
  ];

  static override flags = { ...kubeFlags, ...vsphereFlags };

  async run(): Promise<void> {
    const steps = await import('../../lib/storage/storageclass.js');
    const rows = await steps.listStorageClasses(this.ctx, this.flags);
    await this.print(rows, (r): Table => ({
      columns: ['name', 'provisioner', 'datastore', 'policy', 'reclaim', 'binding', 'expansion'],
      rows: r.map((c) => [
        c.default ? `${c.name} (default)` : c.name,
        c.provisioner,
        c.datastore ?? c.datastoreUrl,
        c.policy,
        c.reclaimPolicy,
        c.volumeBindingMode,
        c.allowVolumeExpansion,
      ]),
    }));
  }
}
