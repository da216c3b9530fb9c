// The command side of `vk storageclass create` and `vk smoke-test` (and
// their parts of `vk up`): the flags, the flags turned into the steps' input,
// and the StorageClass's table.

import { Flags, type Interfaces } from '@oclif/core';
import { dryRunFlag, durationMs } from './flags.js';
import type { Table } from './output.js';
import type { SmokeStepInput } from '../storage/smoke-test.js';
import type { StorageClassResult, StorageClassStepInput } from '../storage/storageclass.js';

/** Where a StorageClass's volumes go: a datastore, a storage policy, or both. */
export const storageClassTargetFlags = (helpGroup?: string) => ({
  datastore: Flags.string({
    helpGroup,
    summary: 'Datastore name, inventory path or ds:/// URL (parameter datastoreurl).',
  }),
  policy: Flags.string({
    helpGroup,
    summary: 'Storage policy name (parameter storagepolicyname), checked in vCenter.',
  }),
});

export const storageClassFlags = {
  ...storageClassTargetFlags(),
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

export function storageClassInput(
  name: string,
  f: Interfaces.InferredFlags<typeof storageClassFlags> & { url?: string },
): StorageClassStepInput {
  return {
    name,
    datastore: f.datastore,
    policy: f.policy,
    isDefault: f.default,
    fsType: f.fstype,
    reclaimPolicy: f['reclaim-policy'] as StorageClassStepInput['reclaimPolicy'],
    bindingMode: f['binding-mode'] as StorageClassStepInput['bindingMode'],
    allowExpansion: f['allow-expansion'],
    zones: f.zone,
    zoneCategory: f['zone-category'],
    url: f.url,
  };
}

export function storageClassTable(r: StorageClassResult, verb: string, isDefault: boolean | undefined): Table {
  const sc = r.storageClass;
  return {
    columns: ['name', 'provisioner', 'datastore', 'policy', 'default', 'action'],
    rows: [
      [
        sc.metadata!.name,
        sc.provisioner,
        r.datastore?.name ?? sc.parameters?.datastoreurl,
        sc.parameters?.storagepolicyname,
        isDefault ? 'yes' : '',
        verb + (r.dryRun ? ' (dry run)' : ''),
      ],
    ],
  };
}

export const smokeImageFlag = Flags.string({
  summary: 'Image with a POSIX sh for the writer and reader pods.',
  default: 'busybox:1.36',
});

export const smokeTestFlags = {
  'storage-class': Flags.string({ summary: "StorageClass to test (default: the cluster's default class)." }),
  size: Flags.string({ summary: 'Size of the claim.', default: '1Gi' }),
  'access-mode': Flags.string({ summary: 'Access mode of the claim.', options: ['RWO', 'RWX'], default: 'RWO' }),
  image: smokeImageFlag,
  timeout: Flags.string({
    summary: 'Time allowed for each wait (PVC Bound, each pod), e.g. 90s, 5m.',
    default: '5m',
  }),
  keep: Flags.boolean({ summary: 'Keep the namespace and its objects afterwards.' }),
  snapshot: Flags.boolean({
    summary: 'Also snapshot the written volume, restore the snapshot into a new claim and read the token back from it.',
  }),
  'snapshot-class': Flags.string({
    summary: "VolumeSnapshotClass for --snapshot (default: the driver's default class).",
    dependsOn: ['snapshot'],
  }),
  junit: Flags.string({ summary: 'Write a JUnit XML report to this file.' }),
};

export function smokeTestInput(f: Interfaces.InferredFlags<typeof smokeTestFlags> & { url?: string }): SmokeStepInput {
  return {
    storageClass: f['storage-class'],
    size: f.size,
    accessMode: f['access-mode'] as SmokeStepInput['accessMode'],
    image: f.image,
    timeoutMs: durationMs(f.timeout),
    keep: f.keep,
    snapshot: f.snapshot,
    snapshotClass: f['snapshot-class'],
    url: f.url,
  };
}
