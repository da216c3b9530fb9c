import { VkCommand } from '../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../lib/cli/flags.js';
import { smokeTestFlags, smokeTestInput } from '../lib/cli/storage.js';

export default class SmokeTest extends VkCommand<typeof SmokeTest> {
  static override summary =
    'Prove that volumes work: bind a PVC, write a token from one pod, read it back from another.';

  static override description = `In a fresh namespace vk-smoke-<random>, creates a PersistentVolumeClaim of the StorageClass (default: the cluster's default class) and waits until it is Bound; checks in vCenter, through the CNS query API, that the volume behind it exists and on which datastore (SKIPPED when no vCenter is configured or the API is not served — never PASSED); runs a writer pod that writes a random token to the volume and a reader pod that must read the same token back.

With --access-mode RWX on a class of the vSphere CSI driver, vk first checks that vSAN File Services is enabled on the clusters of the nodes' ESXi hosts and refuses (exit 1, nothing created) when it is not; when that cannot be checked (no vCenter configured or reachable, no vSAN API) it warns and goes on.

With --snapshot, vk then takes a VolumeSnapshot of the written volume (of --snapshot-class, default: the driver's default VolumeSnapshotClass; 'vk install snapshots' makes one) and waits until it is ready to use, restores it into a new claim that must bind, and runs a third pod that must read the same token from the restored volume.

--timeout bounds each wait (PVC Bound, each pod's completion); on a timeout the error names what was still pending and the object's latest events, such as the provisioner's ProvisioningFailed.

The namespace is deleted, and waited for, on success, failure, timeout and Ctrl-C/SIGTERM, unless --keep.

Each step is shown with its duration (an animated list on a terminal, plain lines on stderr otherwise). -o json prints a result document; --junit FILE writes a JUnit XML report with one test case per step for CI.

Exit codes: 0 passed, 1 a step failed, 2 usage error (e.g. no default StorageClass), 130 interrupted.`;

  static override examples = [
    { description: 'Test the default StorageClass', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Test a class with a shared volume, a mirrored image and a JUnit report for CI',
      command:
        '<%= config.bin %> <%= command.id %> --storage-class vsan-gold --access-mode RWX --image registry.example.com/library/busybox:1.36 --junit smoke.xml',
    },
    {
      description: 'Also prove snapshots: snapshot the volume, restore it, read the token from the copy',
      command: '<%= config.bin %> <%= command.id %> --snapshot --junit smoke.xml',
    },
    {
      description: 'Keep the namespace to inspect it afterwards',
      command: '<%= config.bin %> <%= command.id %> --keep --timeout 10m -o json',
    },
  ];

  static override flags = { ...kubeFlags, ...vsphereFlags, ...smokeTestFlags };

  async run(): Promise<void> {
    const [{ smokeTestStep: step, formatSmokeTestResult, writeJUnitReport }, { runCommandStep }] = await Promise.all([
      import('../lib/storage/smoke-test.js'),
      import('../lib/cli/step-run.js'),
    ]);
    // No signal on the progress: after Ctrl-C the namespace must still be deleted.
    const { plan, result } = await runCommandStep(this.ctx, step, smokeTestInput(this.flags), { dryRun: 'none' });
    // Written also when interrupted or failed: CI shows how far the run got.
    if (this.flags.junit) await writeJUnitReport(this.flags.junit, plan, result);
    await this.print(result, formatSmokeTestResult);
    const err = step.failure(result);
    if (err) throw err;
  }
}
