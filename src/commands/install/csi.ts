import { Flags } from '@oclif/core';
import { VkCommand } from '../../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../../lib/cli/flags.js';
import { driverCredentialFlags, generateFlags } from '../../lib/cli/generate.js';
import {
  appliedTable,
  csiInstallInput,
  installFlags,
  releaseSummary,
  runInstallCommand,
  topologyCategoryFlag,
} from '../../lib/cli/install.js';

export default class InstallCsi extends VkCommand<typeof InstallCsi> {
  static override summary = 'Install the vSphere CSI driver and wait until it is registered on every node.';

  static override description = `Refuses when nodes have no providerID (the CPI is not working) unless
--skip-preflight. Then applies, with server-side apply (field manager vk), the namespace vmware-system-csi, the
config secret vsphere-config-secret (as 'vk generate csi' makes it) and the release manifest, with the
vsphere-csi-controller Deployment scaled to min(3, control-plane nodes) so no replica stays Pending. Waits for the
controller Deployment and the vsphere-csi-node DaemonSet, then verifies the CSIDriver csi.vsphere.vmware.com
exists and every node's CSINode lists it. With --topology-category the config gets [Labels] topology-categories and
the csi-provisioner gets --feature-gates=Topology=true and --strict-topology (the release manifest ships them commented
out); without, the Topology gate stays off (set false explicitly for csi-provisioner v5+, which defaults it on).
Re-running with nothing to change reports every object unchanged; a newer
--version upgrades in place and waits for the rollout.`;

  static override examples = [
    '<%= config.bin %> install csi --url vc.example.com --username csi@vsphere.local --datacenter DC1',
    '<%= config.bin %> install csi --datacenter DC1 --version v3.7.0 --cluster-id prod-1',
    '<%= config.bin %> install csi --datacenter DC1 --manifest ./vsphere-csi-driver.yaml --image-registry harbor.example.com/k8s',
    '<%= config.bin %> install csi --datacenter DC1 --dry-run=server',
  ];

  static override flags = {
    ...vsphereFlags,
    ...kubeFlags,
    datacenter: generateFlags.datacenter,
    ...driverCredentialFlags('csi'),
    ...installFlags,
    version: { ...installFlags.version, summary: releaseSummary('Release', 'v3.8.0') },
    'cluster-id': Flags.string({ summary: 'Cluster ID in CNS, at most 64 bytes (default: from the kube-system UID).' }),
    'skip-preflight': Flags.boolean({
      summary: 'Install even when nodes have no providerID yet, or vSphere is older than the release runs on.',
    }),
    'topology-category': topologyCategoryFlag,
  };

  async run(): Promise<void> {
    const { installCsiStep, csiObjects } = await import('../../lib/drivers/csi/install.js');
    const input = csiInstallInput(this.flags, { env: this.ctx.env, skipPreflight: this.flags['skip-preflight'] });
    await runInstallCommand(this.ctx, installCsiStep, input, {
      clientObjects: (plan) => csiObjects(plan, true),
      print: (result) => this.print(result, appliedTable),
    });
  }
}
