// The command side of `vk install snapshots`: its flags and their mapping to
// the step's input, validated before any request.

import { Flags } from '@oclif/core';
import { UsageError } from '../core/errors.js';
import { installFlags, installOptions } from './install.js';
import type { InstallSnapshotsInput } from '../snapshots/install.js';
import { DEFAULT_SNAPSHOT_CLASS } from '../snapshots/release.js';

const SNAPSHOTS = 'SNAPSHOTS';

export const snapshotsFlags = {
  version: Flags.string({
    helpGroup: SNAPSHOTS,
    summary:
      "external-snapshotter release, e.g. v8.2.0 (default: the tag of the CSI controller's csi-snapshotter sidecar, the release the driver is qualified with).",
  }),
  class: Flags.string({
    helpGroup: SNAPSHOTS,
    default: DEFAULT_SNAPSHOT_CLASS,
    summary: 'Name of the VolumeSnapshotClass for csi.vsphere.vmware.com.',
  }),
  'deletion-policy': Flags.string({
    helpGroup: SNAPSHOTS,
    options: ['Delete', 'Retain'],
    default: 'Delete',
    summary: 'What happens to the CNS snapshot when its VolumeSnapshot is deleted.',
  }),
  default: Flags.boolean({
    helpGroup: SNAPSHOTS,
    allowNo: true,
    summary:
      "Mark the class as the driver's default (default: yes, unless another class is the driver's default already).",
  }),
  'skip-preflight': Flags.boolean({
    summary: 'Install even when vSphere is older than 7.0 U3 or the driver has snapshots switched off.',
  }),
  'image-registry': installFlags['image-registry'],
  timeout: installFlags.timeout,
  'dry-run': installFlags['dry-run'],
  'force-conflicts': installFlags['force-conflicts'],
};

export function snapshotsInput(flags: {
  version?: string;
  class: string;
  'deletion-policy': string;
  default?: boolean;
  'skip-preflight': boolean;
  'image-registry'?: string;
  timeout: string;
  'dry-run'?: string;
  'force-conflicts': boolean;
}): InstallSnapshotsInput {
  const policy = flags['deletion-policy'];
  if (policy !== 'Delete' && policy !== 'Retain') {
    throw new UsageError(`invalid --deletion-policy "${policy}": use Delete or Retain`);
  }
  const common = installOptions({ ...flags, version: undefined, manifest: undefined });
  return {
    version: flags.version,
    imageRegistry: common.imageRegistry,
    className: flags.class,
    deletionPolicy: policy,
    ...(flags.default === undefined ? {} : { makeDefault: flags.default }),
    timeoutMs: common.timeoutMs,
    dryRun: common.dryRun,
    force: common.force,
    skipPreflight: flags['skip-preflight'],
  };
}
