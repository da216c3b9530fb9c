import { Flags } from '@oclif/core';
import { VkCommand } from '../../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../../lib/cli/flags.js';
import { cpiConfigFlags, driverCredentialFlags, generateFlags } from '../../lib/cli/generate.js';
import {
  appliedTable,
  cpiInstallInput,
  installFlags,
  releaseSummary,
  runInstallCommand,
} from '../../lib/cli/install.js';

export default class InstallCpi extends VkCommand<typeof InstallCpi> {
  static override summary = 'Install the vSphere CPI and wait until it has initialized every node.';

  static override description = `Taints the nodes that have no providerID yet (unless --no-taint), applies the CPI's
Secret and vsphere.conf ConfigMap (as 'vk generate cpi' makes them) and the release manifest with server-side
apply (field manager vk; the manifest's example Secret/ConfigMap are dropped), waits for the
vsphere-cloud-controller-manager DaemonSet, then for every node to get a vsphere:// providerID and lose the
node.cloudprovider.kubernetes.io/uninitialized taint. For a node that does not, it names the likely cause from
the CCM's log. With --region and --zone (tag categories; vk topology creates them) it also waits for every
node's topology.kubernetes.io/region and /zone labels, tainting nodes initialized before zones were configured
so the CPI initializes them again (it sets those labels only then). Re-running with nothing to change reports every object unchanged; a newer --version upgrades in
place and waits for the rollout. Needs vCenter only to list datacenters when no --datacenter is given.`;

  static override examples = [
    '<%= config.bin %> install cpi --url vc.example.com --username cpi@vsphere.local --datacenter DC1',
    '<%= config.bin %> install cpi --datacenter DC1 --version v1.31.1 --image-registry harbor.example.com/k8s',
    '<%= config.bin %> install cpi --datacenter DC1 --manifest ./vsphere-cloud-controller-manager.yaml',
    '<%= config.bin %> install cpi --datacenter DC1 --dry-run=client',
  ];

  static override flags = {
    ...vsphereFlags,
    ...kubeFlags,
    datacenter: generateFlags.datacenter,
    ...driverCredentialFlags('cpi'),
    ...installFlags,
    version: { ...installFlags.version, summary: releaseSummary('Release', 'v1.36.0') },
    'no-taint': Flags.boolean({ summary: 'Do not taint uninitialized nodes first.' }),
    ...cpiConfigFlags,
  };

  async run(): Promise<void> {
    const { installCpiStep, cpiObjects, addressesNote } = await import('../../lib/drivers/cpi/install.js');
    const input = cpiInstallInput(this.flags, { env: this.ctx.env, noTaint: this.flags['no-taint'] });
    await runInstallCommand(this.ctx, installCpiStep, input, {
      clientObjects: (plan) => cpiObjects(plan, true),
      print: (result) => this.print(result, appliedTable),
      more(plan, result) {
        const zoned = result.verification?.nodes.filter((n) => n.zone) ?? [];
        const zones = zoned.map((n) => `${n.name} ${n.region}/${n.zone}`).join(', ');
        return [zoned.length ? `zones: ${zones}` : undefined, addressesNote(plan, result)];
      },
    });
  }
}
