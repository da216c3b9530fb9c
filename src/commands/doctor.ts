import { Flags } from '@oclif/core';
import { VkCommand } from '../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../lib/cli/flags.js';
import type { Table } from '../lib/cli/output.js';
import { ExitCode } from '../lib/errors.js';

export default class Doctor extends VkCommand<typeof Doctor> {
  static override summary =
    'Check vCenter, the nodes’ VMs, the CPI, the CSI driver and storage; print the fix for each problem.';

  static override description = `A read-only checklist: vCenter reachable with valid credentials; Kubernetes reachable; every node matched to its VM (by the UUID in its providerID or its system UUID, else by name) and that VM has disk.enableUUID=TRUE; no node still carries the uninitialized taint and every node has a providerID; the CPI DaemonSet is ready and its release matches the cluster's Kubernetes minor; the CSI controller and node plugin are ready, the CSIDriver is registered and every node's CSINode lists it; a default StorageClass uses csi.vsphere.vmware.com; no in-tree kubernetes.io/vsphere-volume StorageClasses or PVs remain.

Each check is pass, warn, fail or skip (a check that needs a connection that failed). vCenter and the cluster are read once, concurrently, and shared by the checks; all VMs are read in one PropertyCollector call. Changes nothing.

Exit status: 1 when any check fails, 0 otherwise (warnings included). A summary line goes to stderr.`;

  static override examples = [
    { description: 'Check everything', command: '<%= config.bin %> <%= command.id %>' },
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
    const { runDoctor, summaryLine } = await import('../lib/steps/doctor.js');
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
