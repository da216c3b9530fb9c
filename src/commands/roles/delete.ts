import { Flags } from '@oclif/core';
import { VkCommand } from '../../lib/cli/base-command.js';
import { dryRunFlag, isDryRun, vsphereFlags } from '../../lib/cli/flags.js';
import type { Table } from '../../lib/cli/output.js';
import { UsageError } from '../../lib/core/errors.js';
import type { DeleteRolesPlan, DeleteRolesResult } from '../../lib/roles/roles.js';

export default class RolesDelete extends VkCommand<typeof RolesDelete> {
  static override summary = 'Delete the roles vk created, with their permissions.';
  static override description = `Removes the roles of the least-privilege table (with --role-prefix, as created) and every
permission that uses them. Roles vk did not create are never touched; permissions with the built-in
read-only role stay. Asks for confirmation on a terminal; elsewhere pass --yes.`;

  static override examples = [
    '<%= config.bin %> roles delete',
    '<%= config.bin %> roles delete --role-prefix K8S- --yes',
    '<%= config.bin %> roles delete --dry-run',
  ];

  static override flags = {
    ...vsphereFlags,
    'role-prefix': Flags.string({ default: '', summary: 'Prefix the roles were created with.' }),
    yes: Flags.boolean({ char: 'y', summary: 'Delete without asking.' }),
    'dry-run': dryRunFlag({ summary: 'client (or bare --dry-run): print what would be deleted; change nothing.' }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const dryRun = isDryRun(f['dry-run']);
    if (!f.yes && !dryRun && !this.ctx.interactive) {
      throw new UsageError('refusing to delete roles without confirmation', { hint: 'pass --yes' });
    }
    const { deleteRoles } = await import('../../lib/roles/roles.js');
    const result = await deleteRoles(this.ctx, {
      prefix: f['role-prefix'],
      dryRun,
      confirm: async (plan: DeleteRolesPlan) => {
        if (f.yes) return true;
        const { confirm } = await import('@inquirer/prompts');
        const n = plan.roles.reduce((sum, r) => sum + r.permissions.length, 0);
        const names = plan.roles.map((r) => r.name).join(', ');
        return confirm({ message: `Delete ${names} and ${n} permissions using them?`, default: false });
      },
    });
    if (result.roles.length === 0) this.ctx.log.info('no roles of vk to delete');
    await this.print(result, deleteTable);
  }
}

function deleteTable(r: DeleteRolesResult): Table {
  return { columns: ['role', 'permissions', 'action'], rows: r.roles.map((x) => [x.name, x.permissions, x.action]) };
}
