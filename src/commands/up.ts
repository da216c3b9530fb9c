import { VkCommand } from '../lib/cli/base-command.js';
import { upFlags } from '../lib/cli/up.js';
import { ExitCode, InterruptedError, VkError } from '../lib/core/errors.js';

export default class Up extends VkCommand<typeof Up> {
  static override summary =
    'The whole journey: prepare the VMs, taint, install the CPI and the CSI driver, a StorageClass, a smoke test.';

  static override description = `Runs, in one process with one vCenter session and one Kubernetes client:

  prepare-vms   disk.enableUUID=TRUE on every VM under --folder          (vk prepare-vms)
  taint-nodes   the uninitialized taint on nodes without a providerID    (vk taint-nodes)
  install-cpi   the vSphere CPI; waits until it has initialized every node (vk install cpi)
  install-csi   the vSphere CSI driver; waits until every node has it    (vk install csi)
  storageclass  a default StorageClass on --datastore or --policy         (vk storageclass create)
  smoke-test    a PVC written by one pod and read back by another         (vk smoke-test)

then runs the checks of 'vk doctor' and prints their summary. --dry-run shows what each step would change (the API server validates the objects, as kubectl apply --dry-run=server) and changes nothing; the smoke test does not run. Every step is idempotent: a re-run resumes where a failed run stopped, and on a finished cluster changes nothing (the smoke test runs again in a namespace of its own, and cleans up). --from starts at a step, --skip leaves steps out. Every input is checked before the first request.

Exit codes: 0 every step done and no check fails, 1 a step failed (the later steps do not run) or a check fails, 2 usage error, 130 interrupted.`;

  static override examples = [
    {
      description: 'From bare to persistent volumes',
      command: '<%= config.bin %> <%= command.id %> --folder k8s --datastore vsanDatastore',
    },
    {
      description: 'Resume at the CSI driver with a pinned version, without the smoke test',
      command:
        '<%= config.bin %> <%= command.id %> --from install-csi --csi-version v3.7.0 --datastore vsanDatastore --skip smoke-test',
    },
    {
      description: 'In CI: plain progress lines, a JSON result',
      command: '<%= config.bin %> <%= command.id %> --folder /DC1/vm/k8s --policy gold -o json',
    },
  ];

  static override flags = upFlags;

  async run(): Promise<void> {
    const [{ runUp }, { upInput, upTable }] = await Promise.all([
      import('../lib/up/up.js'),
      import('../lib/cli/up.js'),
    ]);
    const input = upInput(this.flags, this.ctx.env);
    const live = this.ctx.interactive && this.ctx.output === 'table';
    const { steps, doctor, error } = await runUp(this.ctx, input, { live, folder: this.flags.folder });
    await this.print(doctor ? { steps, doctor } : { steps }, upTable);
    if (!doctor)
      throw new InterruptedError(`interrupted during ${steps.find((t) => t.status === 'failed')?.id ?? 'vk up'}`);

    const { summaryLine } = await import('../lib/doctor/doctor.js');
    for (const c of doctor.checks.filter((c) => c.status === 'fail' || c.status === 'warn')) {
      this.ctx.log.info(`doctor: ${c.status} ${c.id}: ${c.detail}${c.fix ? `; ${c.fix}` : ''}`);
    }
    this.ctx.log.info(`doctor: ${summaryLine(doctor)}`);
    if (error !== undefined) throw error;
    // A dry run changed nothing: the doctor's failures are what the run would fix.
    if (doctor.summary.fail > 0 && input.dryRun === 'none') {
      throw new VkError(`every step is done but ${doctor.summary.fail} doctor check(s) fail`, {
        hint: "see the fixes above, or run 'vk doctor'",
        exitCode: ExitCode.failure,
      });
    }
  }
}
