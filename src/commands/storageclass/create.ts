import { Args } from '@oclif/core';
import { VkCommand } from '../../lib/cli/base-command.js';
import { dryRunOf, kubeFlags, vsphereFlags } from '../../lib/cli/flags.js';
import { storageClassFlags, storageClassInput, storageClassTable } from '../../lib/cli/storage.js';

export default class StorageClassCreate extends VkCommand<typeof StorageClassCreate> {
  static override summary =
    'Create a StorageClass for the vSphere CSI driver from a datastore name and/or storage policy.';

  static override description = `--datastore takes a datastore name (or inventory path), resolved through the vCenter session to the ds:/// URL the driver needs in the datastoreurl parameter; a ds:/// URL is used as given. An unknown name is an error listing the valid ones. vk warns when the datastore is not mounted by every host of its cluster: pods on the other hosts could not attach its volumes.

--policy names a storage policy (storagepolicyname), checked to exist through the storage policy (PBM) API.

--default marks the class as the cluster's default and takes the mark off the previous default, saying so.

Re-running with the same values changes nothing. Provisioner, parameters, reclaim policy and binding mode of an existing class cannot change (Kubernetes refuses it): vk says so before writing anything.

-o yaml|json prints the StorageClass as written (with --dry-run, as it would be).`;

  static override examples = [
    {
      description: 'A default class on a shared datastore, by name',
      command: '<%= config.bin %> <%= command.id %> vsan-default --datastore vsanDatastore --default',
    },
    {
      description: 'A class by storage policy, xfs, expandable, bound when the pod is scheduled',
      command:
        '<%= config.bin %> <%= command.id %> gold --policy "vSAN Default Storage Policy" --fstype xfs --allow-expansion --binding-mode WaitForFirstConsumer',
    },
    {
      description: 'Show the StorageClass that would be written',
      command: '<%= config.bin %> <%= command.id %> nfs --datastore NFS-01 --dry-run -o yaml',
    },
  ];

  static override args = {
    name: Args.string({ required: true, description: 'Name of the StorageClass.' }),
  };

  static override flags = { ...kubeFlags, ...vsphereFlags, ...storageClassFlags };

  async run(): Promise<void> {
    const [{ storageClassStep: step, storageClassVerb }, { runCommandStep }] = await Promise.all([
      import('../../lib/storage/storageclass.js'),
      import('../../lib/cli/step-run.js'),
    ]);
    const input = storageClassInput(this.args.name, this.flags);
    const { result } = await runCommandStep(this.ctx, step, input, { dryRun: dryRunOf(this.flags['dry-run']) });
    const verb = storageClassVerb({ ...result, dryRun: false });
    if (this.ctx.output === 'table') {
      this.ctx.log.info(`storageclass.storage.k8s.io/${this.args.name} ${verb}${result.dryRun ? ' (dry run)' : ''}`);
    }
    // json/yaml: the object as the API holds it, like kubectl -o.
    if (this.ctx.output !== 'table') await this.print(result.storageClass, () => '');
    else await this.print(result, (r) => storageClassTable(r, verb, input.isDefault));
  }
}
