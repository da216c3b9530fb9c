// The command side of `vk up`: its flags — the single commands' own flags
// where a step has one, so the help says the same thing in both places — and
// the flags turned into each step's input, as its own command would build it.

import { Flags, type Interfaces } from '@oclif/core';
import { dryRunFlag, dryRunOf, durationMs, kubeFlags, vsphereFlags } from './flags.js';
import { cpiConfigFlags, driverCredentialFlags, generateFlags } from './generate.js';
import { cpiInstallInput, csiInstallInput, installFlags, manifestSummary, releaseSummary } from './install.js';
import { folderFlag, vmConcurrencyFlag } from './prepare-vms.js';
import { smokeImageFlag, storageClassTargetFlags } from './storage.js';
import type { Table } from './output.js';
import { TAINT_CONCURRENCY } from '../nodes/taint-nodes.js';
import { UP_STEPS, type UpInput, type UpResult, type UpStep } from '../up/up.js';

const STEPS = 'STEPS';
const INSTALL = 'INSTALL';
const STORAGE = 'STORAGE';
const group = <F extends object>(helpGroup: string, flag: F): F => ({ ...flag, helpGroup });

export const upFlags = {
  ...vsphereFlags,
  ...kubeFlags,
  skip: Flags.string({
    helpGroup: STEPS,
    multiple: true,
    options: [...UP_STEPS],
    summary: 'Leave this step out (repeatable).',
  }),
  from: Flags.string({ helpGroup: STEPS, options: [...UP_STEPS], summary: 'Start at this step.' }),
  folder: group(STEPS, folderFlag),
  concurrency: group(STEPS, vmConcurrencyFlag),
  datacenter: generateFlags.datacenter,
  ...driverCredentialFlags('cpi'),
  ...driverCredentialFlags('csi'),
  ...cpiConfigFlags,
  'cluster-id': Flags.string({
    helpGroup: INSTALL,
    summary: 'Cluster ID in CNS, at most 64 bytes (default: from the kube-system UID).',
  }),
  'cpi-version': {
    ...installFlags.version,
    exclusive: ['cpi-manifest'],
    summary: releaseSummary('CPI release', 'v1.36.0'),
  },
  'csi-version': {
    ...installFlags.version,
    exclusive: ['csi-manifest'],
    summary: releaseSummary('CSI release', 'v3.8.0'),
  },
  'cpi-manifest': { ...installFlags.manifest, summary: manifestSummary('CPI') },
  'csi-manifest': { ...installFlags.manifest, summary: manifestSummary('CSI') },
  'image-registry': installFlags['image-registry'],
  'force-conflicts': installFlags['force-conflicts'],
  timeout: Flags.string({
    helpGroup: INSTALL,
    default: '5m',
    summary: "Time allowed for each step's waits (vCenter tasks, rollouts, PVC bound, pods), e.g. 90s, 10m.",
  }),
  'storage-class': Flags.string({
    helpGroup: STORAGE,
    default: 'vsphere-csi',
    summary: 'Name of the StorageClass to write and test.',
  }),
  ...storageClassTargetFlags(STORAGE),
  default: Flags.boolean({
    helpGroup: STORAGE,
    allowNo: true,
    default: true,
    summary: "Make the StorageClass the cluster's default (--no-default leaves the default alone).",
  }),
  'dry-run': dryRunFlag({
    helpGroup: STEPS,
    server: true,
    summary:
      "Show what each step would change; change nothing (no smoke test). client (or bare --dry-run): plan only; server: the API server also validates the drivers' objects.",
  }),
  'smoke-image': group(STORAGE, smokeImageFlag),
};

type UpFlags = Interfaces.InferredFlags<typeof upFlags>;

/** Every step's input from vk up's flags (the environment and config file fill what they do not say). */
export function upInput(f: UpFlags, env: NodeJS.ProcessEnv): UpInput {
  const skip = (f.skip ?? []) as UpStep[];
  const timeoutMs = durationMs(f.timeout);
  const dryRun = dryRunOf(f['dry-run']);
  return {
    skip,
    from: f.from as UpStep | undefined,
    dryRun,
    steps: {
      'prepare-vms': {
        folder: f.folder ?? '',
        recursive: true,
        include: [],
        exclude: [],
        concurrency: f.concurrency,
        taskTimeoutMs: timeoutMs,
      },
      'taint-nodes': { names: [], operation: 'add', uninitialized: true, concurrency: TAINT_CONCURRENCY },
      'install-cpi': cpiInstallInput(
        { ...f, version: f['cpi-version'], manifest: f['cpi-manifest'] },
        { env, noTaint: skip.includes('taint-nodes') },
      ),
      'install-csi': {
        ...csiInstallInput(
          { ...f, version: f['csi-version'], manifest: f['csi-manifest'] },
          // A dry run cannot wait for the CPI it did not install (vk up checks vSphere before its first step).
          { env, skipPreflight: dryRun !== 'none' },
        ),
        serverDryRunFallback: true,
        preflightHint: 'let vk up run the install-cpi step first (--from install-cpi)',
      },
      storageclass: {
        name: f['storage-class'],
        datastore: f.datastore,
        policy: f.policy,
        isDefault: f.default,
        url: f.url,
      },
      'smoke-test': { storageClass: f['storage-class'], image: f['smoke-image'], timeoutMs, url: f.url },
    },
  };
}

export const upTable = (r: Pick<UpResult, 'steps'>): Table => ({
  columns: ['step', 'result', 'detail', 'time'],
  rows: r.steps.map((t) => [t.id, t.status, t.detail, t.status === 'done' ? `${t.seconds}s` : '']),
});
