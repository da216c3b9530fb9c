import { Flags } from '@oclif/core';
import { isDryRun } from '../../lib/cli/flags.js';
import { VkCommand } from '../../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../../lib/cli/flags.js';
import { csiSecret } from '../../lib/drivers/csi/config.js';
import { generateDeps, parseNetPermission, planCsi } from '../../lib/drivers/generate.js';
import { driverCredentialFlags, driverCredentials, emitGenerated, generateFlags } from '../../lib/cli/generate.js';
import { resolveVsphereSettings } from '../../lib/settings/vsphere.js';

export default class GenerateCsi extends VkCommand<typeof GenerateCsi> {
  static override summary = "Generate the vSphere CSI driver's csi-vsphere.conf Secret.";

  static override description = `Prints the Secret ${csiSecret.name} in ${csiSecret.namespace} holding csi-vsphere.conf
in the driver's INI format, with only the keys the target driver version reads: --csi-version, else the release
'vk install csi' would install on the cluster (its Kubernetes version picks it from vk's table); every value
is quoted so any password or name reads back exactly. The cluster-id defaults to one derived from the
kube-system namespace UID (the same on every run). A --ca-file bundle is stored in the Secret as vcenter-ca.pem and
ca-file names it where the driver mounts the Secret (/etc/cloud/vcenter-ca.pem). Passwords print as <redacted> unless --show-secrets;
--file writes the real values to a 0600 file and --apply writes them into the cluster.`;

  static override examples = [
    '<%= config.bin %> generate csi --url vc.example.com --username admin@vsphere.local --datacenter DC1 --cluster-id prod-1',
    '<%= config.bin %> generate csi --datacenter DC1 --topology-category k8s-zone --csi-version v3.3 --file csi.yaml',
    '<%= config.bin %> generate csi --datacenter DC1 --net-permission name=ro,ips=10.0.0.0/24,permissions=READ_ONLY --apply',
  ];

  static override flags = {
    ...vsphereFlags,
    ...kubeFlags,
    ...generateFlags,
    ...driverCredentialFlags('csi'),
    'csi-version': Flags.string({
      summary: "CSI driver version the config is for (default: the release 'vk install csi' picks for the cluster).",
    }),
    'cluster-id': Flags.string({ summary: 'Cluster ID in CNS, at most 64 bytes (default: from the kube-system UID).' }),
    'cluster-distribution': Flags.string({ summary: 'Kubernetes distribution name reported to vCenter.' }),
    'topology-category': Flags.string({
      multiple: true,
      delimiter: ',',
      summary: 'vSphere tag category for topology; repeatable or comma-separated (region first, then zone).',
    }),
    'file-share-cluster': Flags.string({
      multiple: true,
      summary: 'vSAN cluster file volumes may be created on (targetvSANFileShareClusters); repeatable.',
    }),
    'file-share-datastore-url': Flags.string({
      multiple: true,
      summary: 'vSAN datastore URL for file volumes (targetvSANFileShareDatastoreURLs; CSI v3.1 and older).',
    }),
    folder: Flags.string({
      summary: "The node VMs' folder: with a CSI user, also check it holds every privilege the driver needs.",
    }),
    'net-permission': Flags.string({
      multiple: true,
      summary: 'File volume access: name=N,ips=CIDR,permissions=READ_WRITE|READ_ONLY|NO_ACCESS,rootsquash=BOOL.',
    }),
  };

  async run(): Promise<void> {
    const f = this.flags;
    const deps = generateDeps(this.ctx, { folder: f.folder });
    const plan = await planCsi(
      {
        settings: resolveVsphereSettings(f, this.ctx.env),
        datacenters: f.datacenter ?? [],
        credentials: driverCredentials(f, 'csi'),
        verify: f.verify,
        log: this.ctx.log,
        version: f['csi-version'],
        clusterId: f['cluster-id'],
        clusterDistribution: f['cluster-distribution'],
        topologyCategories: f['topology-category'] ?? [],
        fileShareClusters: f['file-share-cluster'] ?? [],
        fileShareDatastoreUrls: f['file-share-datastore-url'] ?? [],
        netPermissions: (f['net-permission'] ?? []).map(parseNetPermission),
      },
      deps,
    );
    const opts = { showSecrets: f['show-secrets'], file: f.file, apply: f.apply, dryRun: isDryRun(f['dry-run']) };
    await emitGenerated(this.ctx, plan, deps, opts, (v, t) => this.print(v, t));
  }
}
