import { Flags } from '@oclif/core';
import { VkCommand } from '../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../lib/cli/flags.js';
import type { Table } from '../lib/cli/output.js';
import { ExitCode } from '../lib/core/errors.js';

export default class Doctor extends VkCommand<typeof Doctor> {
  static override summary =
    'Check vCenter, the nodes’ VMs, the CPI, the CSI driver and storage; print the fix for each problem.';

  static override description = `A read-only checklist: vCenter reachable with valid credentials; Kubernetes reachable; the datacenter vk uses and those the CPI and CSI configs name exist; every node matched to its VM (by the UUID in its providerID or its system UUID, else by name) and that VM has disk.enableUUID=TRUE; no node still carries the uninitialized taint and every node has a providerID; the CPI DaemonSet is ready and its release matches the cluster's Kubernetes minor; the CSI controller and node plugin are ready, the CSIDriver is registered and every node's CSINode lists it; a default StorageClass uses csi.vsphere.vmware.com; the datastore each CSI StorageClass names by datastoreurl exists and is mounted on the host of every node's VM (its storagepolicyname exists); no in-tree kubernetes.io/vsphere-volume StorageClasses or PVs remain; the CSI user has a domain (user@domain or DOMAIN\\user); the CSI cluster-id is not a generic one another cluster may share; the drivers connect to the same vCenter host as vk and trust it the same way (a pinned thumbprint must match the server's certificate).

Each check is pass, warn, fail or skip (a check that needs a connection that failed). vCenter and the cluster are read once, concurrently, and shared by the checks; all VMs are read in one PropertyCollector call, the datastores in one more when a StorageClass names one. The drivers' configs are read from the cluster; passwords are never printed. Changes nothing.

Exit status: 1 when any check fails, 0 otherwise (warnings included). A summary line goes to stderr.`;

  static override examples = [
    { description: 'Check everything', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'vk pins the certificate; tls-trust checks the drivers pin the same one',
      command:
        '<%= config.bin %> <%= command.id %> --thumbprint 0D:1D:D9:88:44:8B:A4:91:2B:CD:12:78:35:16:09:AF:F4:85:2C:30:A4:7E:98:00:16:DC:75:5A:EE:1F:79:34',
    },
    {
      description: 'Machine-readable, for CI',
      command: '<%= config.bin %> <%= command.id %> -o json --kubeconfig ~/.kube/prod',
    },
  ];

  static override flags = {
    ...vsphereFlags,
    ...kubeFlags,
    'csi-user': Flags.string({
      summary: 'Also check that this CSI driver user holds every privilege it needs (like vk roles check --csi).',
    }),
    folder: Flags.string({ summary: "The node VMs' folder, for --csi-user (as in vk prepare-vms)." }),
  };

  async run(): Promise<void> {
    const { runDoctor, summaryLine } = await import('../lib/doctor/doctor.js');
    const report = await runDoctor(this.ctx, { csiUser: this.flags['csi-user'], folder: this.flags.folder });
    await this.print(report.checks, (checks): Table => {
      const withFix = checks.some((c) => c.fix);
      return {
        columns: ['check', 'status', 'detail', ...(withFix ? ['fix'] : [])],
        rows: checks.map((c) => [c.id, c.status, c.detail, ...(withFix ? [c.fix ?? ''] : [])]),
      };
    });
    this.ctx.log.info(summaryLine(report));
    if (report.summary.fail > 0) process.exitCode = ExitCode.failure;
  }
}
