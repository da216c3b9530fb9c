import { VkCommand } from '../../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../../lib/cli/flags.js';
import { driverCredentialFlags } from '../../lib/cli/generate.js';
import { rotateFlags } from '../../lib/cli/rotate-credentials.js';

export default class RotateCredentialsCPI extends VkCommand<typeof RotateCredentialsCPI> {
  static override summary = "Put the CPI account's new password into the driver, restart it and prove it logs in.";

  static override description = `Change the password in vCenter (SSO) first. Then this checks the new one with a
login (a wrong one changes nothing), writes only that password into the Secret vk installed (every other setting
as it was), restarts the driver as 'kubectl rollout restart' does, waits for the rollout, and proves the new pods
stay ready with no login failure in their log.
The password comes from --cpi-password, VK_CPI_PASSWORD, or a prompt on a terminal; it is never printed.`;

  static override examples = [
    'VK_CPI_PASSWORD=… <%= config.bin %> rotate-credentials cpi',
    '<%= config.bin %> rotate-credentials cpi --cpi-username k8s-cpi@vsphere.local --dry-run',
  ];

  static override flags = {
    ...vsphereFlags,
    ...kubeFlags,
    ...driverCredentialFlags('cpi', 'rotate'),
    ...rotateFlags,
  };

  async run(): Promise<void> {
    const { rotateCredentials, rotateTable } = await import('../../lib/cli/rotate-credentials.js');
    const f = this.flags;
    const result = await rotateCredentials(this.ctx, 'cpi', {
      username: (f as Record<string, unknown>)['cpi-username'] as string | undefined,
      password: (f as Record<string, unknown>)['cpi-password'] as string | undefined,
      timeout: f.timeout,
      'dry-run': f['dry-run'],
    });
    await this.print(result, rotateTable);
  }
}
