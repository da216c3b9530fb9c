import { Flags } from '@oclif/core';
import { VkCommand } from '../../lib/cli/base-command.js';
import { vsphereFlags } from '../../lib/cli/flags.js';
import type { Table } from '../../lib/cli/output.js';
import type { CheckRolesResult } from '../../lib/roles/roles.js';

export default class RolesCheck extends VkCommand<typeof RolesCheck> {
  static override summary = 'Check that a driver user holds every privilege the CSI or CPI driver needs.';
  static override description = `Asks vCenter (HasUserPrivilegeOnEntities) whether the user holds each privilege of the
least-privilege table on each object the driver uses — the same objects \`vk roles create\` grants on —
and prints what is missing with the command that fixes it. Exit 1 when anything is missing.`;

  static override examples = [
    '<%= config.bin %> roles check --user k8s-csi@vsphere.local --folder k8s',
    '<%= config.bin %> roles check --user k8s-cpi@vsphere.local --cpi',
    '<%= config.bin %> roles check --user k8s-csi@vsphere.local --folder /DC0/vm/k8s --datastore vsanDatastore -o json',
  ];

  static override flags = {
    ...vsphereFlags,
    user: Flags.string({ required: true, summary: 'The driver user (user@domain).' }),
    csi: Flags.boolean({ exclusive: ['cpi'], summary: 'Check the CSI driver privileges (default).' }),
    cpi: Flags.boolean({ exclusive: ['csi'], summary: 'Check the CPI driver privileges.' }),
    folder: Flags.string({ summary: 'Folder of the node VMs (required with --csi), as for roles create.' }),
    datastore: Flags.string({
      multiple: true,
      summary: 'Datastore volumes live on; repeatable (default: shared ones).',
    }),
    'file-volumes': Flags.boolean({
      default: false,
      summary: 'Also check what vSAN file volumes need; warns when no cluster has vSAN File Services on.',
    }),
    'role-prefix': Flags.string({ default: '', summary: 'Role name prefix used with roles create (for the fix).' }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const { checkRoles } = await import('../../lib/roles/roles.js');
    const result = await checkRoles(this.ctx, {
      user: f.user,
      driver: f.cpi ? 'cpi' : 'csi',
      prefix: f['role-prefix'],
      folder: f.folder,
      datastores: f.datastore ?? [],
      fileVolumes: f['file-volumes'],
    });
    await this.print(result, checkTable);
    if (result.missing.length > 0) {
      this.ctx.log.warn(`${result.user} lacks ${result.missing.length} of ${result.checked} required privileges`);
      process.exitCode = 1;
    } else {
      this.ctx.log.info(
        `${result.user} holds all ${result.checked} privileges the ${result.driver.toUpperCase()} driver needs`,
      );
    }
  }
}

function checkTable(r: CheckRolesResult): Table | string {
  if (r.missing.length === 0) return '';
  return {
    columns: ['object', 'missing privilege', 'role', 'fix'],
    rows: r.missing.map((m) => [m.object, m.privilege, m.role, m.fix]),
  };
}
