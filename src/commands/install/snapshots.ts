import { VkCommand } from '../../lib/cli/base-command.js';
import { kubeFlags, vsphereFlags } from '../../lib/cli/flags.js';
import { snapshotsFlags } from '../../lib/cli/snapshots.js';

export default class InstallSnapshots extends VkCommand<typeof InstallSnapshots> {
  static override summary =
    'Install volume snapshots for the vSphere CSI driver: CRDs, snapshot-controller and a VolumeSnapshotClass.';

  static override description = `Needs the CSI driver installed (vk install csi): the external-snapshotter release is the one its
controller's csi-snapshotter sidecar runs, the release the driver is qualified with. Refuses, before anything is applied,
when vCenter or the ESXi host of a node VM is older than 7.0 U3 (the driver takes no snapshots below it) or the driver's
block-volume-snapshot feature state is off, unless --skip-preflight. Then applies with server-side apply the three
snapshot.storage.k8s.io CRDs, waits until they are established, applies the snapshot-controller (kube-system, its image
pinned to the release) and the VolumeSnapshotClass, waits for the rollout and checks that the CSI controller's
csi-snapshotter sidecar is ready. A snapshot-controller installed by something else is used, not replaced (two would both
act on every snapshot); then only the class is applied. Re-running after 'vk install csi' upgraded the driver upgrades
the CRDs and the controller and prunes what the earlier release had and this one does not. 'vk smoke-test --snapshot'
proves it works; 'vk uninstall snapshots' removes the controller and keeps the CRDs and classes.`;

  static override examples = [
    '<%= config.bin %> install snapshots',
    '<%= config.bin %> install snapshots --class gold-snapshots --deletion-policy Retain --no-default',
    '<%= config.bin %> install snapshots --image-registry harbor.example.com/k8s --dry-run=client',
  ];

  static override flags = { ...vsphereFlags, ...kubeFlags, ...snapshotsFlags };

  async run(): Promise<void> {
    const [{ installSnapshotsStep, snapshotObjects }, { snapshotsInput }, cli] = await Promise.all([
      import('../../lib/snapshots/install.js'),
      import('../../lib/cli/snapshots.js'),
      import('../../lib/cli/install.js'),
    ]);
    const input = snapshotsInput(this.flags);
    installSnapshotsStep.validate(input);
    await cli.runInstallCommand(this.ctx, installSnapshotsStep, input, {
      clientObjects: snapshotObjects,
      print: (result) => this.print(result, cli.appliedTable),
    });
  }
}
