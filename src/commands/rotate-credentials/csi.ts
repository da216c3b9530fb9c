import { Flags } from '@oclif/core';
import { VkCommand } from '../../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../../lib/cli/flags.js';
import { driverCredentialFlags } from '../../lib/cli/generate.js';
import { rotateFlags } from '../../lib/cli/rotate-credentials.js';

export default class RotateCredentialsCSI extends VkCommand<typeof RotateCredentialsCSI> {
  static override summary = "Put the CSI account's new password into the driver, restart it and prove it logs in.";

  static override description = `Change the password in vCenter (SSO) first. Then this checks the new one with a
login (a wrong one changes nothing), writes only that password into the Secret vk installed (every other setting
as it was), restarts the driver as 'kubectl rollout restart' does, waits for the rollout, and proves the new pods
stay ready with no login failure in their log, then provisions and deletes a 1Gi volume of the default StorageClass (or --storage-class).
The password comes from --csi-password, VK_CSI_PASSWORD, or a prompt on a terminal; it is never printed.`;

  static override examples = [
    'VK_CSI_PASSWORD=… <%= config.bin %> rotate-credentials csi',
    '<%= config.bin %> rotate-credentials csi --csi-username k8s-csi@vsphere.local --dry-run',
  ];

  static override flags = {
    ...vsphereFlags,
    ...kubeFlags,
    ...driverCredentialFlags('csi', 'rotate'),
    ...rotateFlags,
    'storage-class': Flags.string({
      summary:
        'StorageClass of the proving volume (default: the default one of the CSI driver; without one, no volume).',
    }),
  };

  async run(): Promise<void> {
    const { rotateCredentials, rotateTable } = await import('../../lib/cli/rotate-credentials.js');
    const f = this.flags;
    const result = await rotateCredentials(this.ctx, 'csi', {
      username: (f as Record<string, unknown>)['csi-username'] as string | undefined,
      password: (f as Record<string, unknown>)['csi-password'] as string | undefined,
      timeout: f.timeout,
      'dry-run': f['dry-run'],
      'storage-class': f['storage-class'],
    });
    await this.print(result, rotateTable);
  }
}
