import { Args, Flags } from '@oclif/core';
import { VkCommand } from '../../lib/cli/base-command.js';
import { dryRunFlag, isDryRun, kubeFlags, vsphereFlags } from '../../lib/cli/flags.js';
import type { Table } from '../../lib/cli/output.js';

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

  static override flags = {
    ...kubeFlags,
    ...vsphereFlags,
    datastore: Flags.string({ summary: 'Datastore name, inventory path or ds:/// URL (parameter datastoreurl).' }),
    policy: Flags.string({ summary: 'Storage policy name (parameter storagepolicyname), checked in vCenter.' }),
    default: Flags.boolean({ summary: "Make it the cluster's default StorageClass (and unmark the previous one)." }),
    fstype: Flags.string({ summary: 'Filesystem of the volumes (csi.storage.k8s.io/fstype), e.g. ext4 or xfs.' }),
    'reclaim-policy': Flags.string({
      summary: 'What happens to a volume when its claim is deleted.',
      options: ['Delete', 'Retain'],
      default: 'Delete',
    }),
    'binding-mode': Flags.string({
      summary: 'When volumes are provisioned.',
      options: ['Immediate', 'WaitForFirstConsumer'],
      default: 'Immediate',
    }),
    'allow-expansion': Flags.boolean({ summary: 'Allow claims to be resized.' }),
    zone: Flags.string({
      multiple: true,
      summary: 'Restrict volumes to these zones (allowedTopologies; repeatable). vk topology lists the zones.',
    }),
    'zone-category': Flags.string({
      dependsOn: ['zone'],
      summary: "Tag category of --zone (default: the CPI's zone category, else the CSI driver's only one).",
    }),
    'dry-run': dryRunFlag({ summary: 'client (or bare --dry-run): show what would be written; write nothing.' }),
  };

  async run(): Promise<void> {
    const steps = await import('../../lib/storage/storageclass.js');
    const input = {
      name: this.args.name,
      datastore: this.flags.datastore,
      policy: this.flags.policy,
      isDefault: this.flags.default,
      fsType: this.flags.fstype,
      reclaimPolicy: this.flags['reclaim-policy'] as 'Delete' | 'Retain',
      bindingMode: this.flags['binding-mode'] as 'Immediate' | 'WaitForFirstConsumer',
      allowExpansion: this.flags['allow-expansion'],
      zones: this.flags.zone,
      zoneCategory: this.flags['zone-category'],
    };
    steps.validateStorageClassInput(input);
    const plan = await steps.planStorageClass(this.ctx, input, {
      vcenter: steps.vcenterConfigured(this.flags.url, this.ctx.env),
    });
    for (const w of plan.warnings) this.ctx.log.warn(w);
    const result = await steps.applyStorageClass(await this.ctx.kube(), plan, {
      dryRun: isDryRun(this.flags['dry-run']),
      log: (line) => this.ctx.log.info(line),
    });
    const verb = { create: 'created', update: 'configured', unchanged: 'unchanged' }[result.action];
    if (this.ctx.output === 'table') {
      this.ctx.log.info(`storageclass.storage.k8s.io/${this.args.name} ${verb}${result.dryRun ? ' (dry run)' : ''}`);
    }
    // json/yaml: the object as the API holds it, like kubectl -o.
    if (this.ctx.output !== 'table') await this.print(result.storageClass, () => '');
    else
      await this.print(result, (r): Table => ({
        columns: ['name', 'provisioner', 'datastore', 'policy', 'default', 'action'],
        rows: [
          [
            r.storageClass.metadata!.name,
            r.storageClass.provisioner,
            r.datastore?.name ?? r.storageClass.parameters?.datastoreurl,
            r.storageClass.parameters?.storagepolicyname,
            input.isDefault ? 'yes' : '',
            verb + (r.dryRun ? ' (dry run)' : ''),
          ],
        ],
      }));
  }
}
