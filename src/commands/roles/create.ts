import { Flags } from '@oclif/core';
import { VkCommand } from '../../lib/cli/base-command.js';
import { dryRunFlag, dryRunOf, vsphereFlags } from '../../lib/cli/flags.js';
import { UsageError } from '../../lib/core/errors.js';

export default class RolesCreate extends VkCommand<typeof RolesCreate> {
  static override summary = 'Create least-privilege roles for the CSI and CPI driver users and grant them.';
  static override description = `Creates the roles the vSphere CSI driver documents (CNS-SEARCH-AND-SPBM, CNS-DATASTORE,
CNS-VM and, with --file-volumes, CNS-HOST-CONFIG-STORAGE) and sets the permissions on the objects the
driver uses: the root folder, the datastores (--datastore, default every datastore shared by all hosts of
its cluster), the node VMs in --folder, and the built-in read-only role on the datacenter, clusters and
hosts. --cpi-user gets read-only on the datacenter(s), propagating.
Re-running changes nothing that is already in place. A role that exists with other privileges is reported
with the difference and only changed with --force.`;

  static override examples = [
    '<%= config.bin %> roles create --csi-user k8s-csi@vsphere.local --cpi-user k8s-cpi@vsphere.local --folder k8s',
    '<%= config.bin %> roles create --csi-user k8s-csi@vsphere.local --folder /DC0/vm/k8s --datastore vsanDatastore --dry-run',
    "<%= config.bin %> roles create --csi-user 'VSPHERE.LOCAL\\k8s-storage' --group --folder k8s --role-prefix K8S-",
  ];

  static override flags = {
    ...vsphereFlags,
    'csi-user': Flags.string({ required: true, summary: 'CSI driver user (user@domain), or group with --group.' }),
    'cpi-user': Flags.string({ summary: 'CPI driver user: gets read-only on the datacenter(s), propagating.' }),
    folder: Flags.string({
      summary:
        'Folder of the node VMs: inventory path or relative to the datacenter VM folder (required; may come from the config file).',
    }),
    datastore: Flags.string({
      multiple: true,
      summary: 'Datastore volumes live on; repeatable (default: all datastores shared by every host of the cluster).',
    }),
    'file-volumes': Flags.boolean({
      default: false,
      summary:
        'Also grant what vSAN file (ReadWriteMany) volumes need; warns when no cluster has vSAN File Services on.',
    }),
    'role-prefix': Flags.string({ default: '', summary: 'Prefix for the role names, e.g. K8S-.' }),
    group: Flags.boolean({ default: false, summary: 'The principals are groups (DOMAIN\\group), not users.' }),
    force: Flags.boolean({
      default: false,
      summary: 'Set existing roles with other privileges to the ones the drivers need.',
    }),
    'dry-run': dryRunFlag({
      summary: 'client (or bare --dry-run): print what would be created or changed; change nothing.',
    }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    if (!f.folder) {
      throw new UsageError('missing --folder: the node VMs need the CNS-VM role', {
        hint: 'pass --folder FOLDER (or set folder in the config file, see vk init)',
      });
    }
    const [{ createRolesStep, rolesTable }, { runCommandStep }] = await Promise.all([
      import('../../lib/roles/roles.js'),
      import('../../lib/cli/step-run.js'),
    ]);
    const input = {
      csiUser: f['csi-user'],
      cpiUser: f['cpi-user'],
      group: f.group,
      prefix: f['role-prefix'],
      folder: f.folder,
      datastores: f.datastore ?? [],
      fileVolumes: f['file-volumes'],
      force: f.force,
    };
    const { result } = await runCommandStep(this.ctx, createRolesStep, input, { dryRun: dryRunOf(f['dry-run']) });
    await this.print(result, rolesTable);
  }
}
