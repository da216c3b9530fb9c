// The command side of `vk install cpi|csi`: their shared flags, turning the
// flags into InstallOptions (validated before any request), and printing a
// result: the objects table for people, the whole document for -o json|yaml,
// and for --dry-run=client the objects themselves (secrets redacted).

import { Flags } from '@oclif/core';
import type { Table } from './output.js';
import { dryRunFlag, dryRunOf, durationMs } from './flags.js';
import type { Context } from '../core/context.js';
import type { DryRunMode, Step } from '../core/step.js';
import { renderObjects, type RevealedObject } from '../drivers/config-objects.js';
import type { KubeObject } from '../drivers/manifests/objects.js';
import { componentName } from '../drivers/manifests/transforms.js';
import type { DriverCredentials } from '../drivers/generate.js';
import { cpiConfigOptions, driverCredentials } from './generate.js';
import type { InstallCpiInput } from '../drivers/cpi/install.js';
import { resolveVsphereSettings, type VsphereSettings } from '../settings/vsphere.js';
import type { InstallCsiInput } from '../drivers/csi/install.js';
import { summarizeInstall, type InstallOptions, type InstallResult } from '../drivers/install-common.js';
import { describePruned, type PrunedObject } from '../drivers/uninstall.js';

const INSTALL = 'INSTALL';
/** --version's help ("Release", "v1.36.0"), and vk up's --cpi-version and --csi-version ("CPI release", …). */
export const releaseSummary = (what: string, example: string) =>
  `${what} to install, e.g. ${example} (default: the one vk's table pairs with the cluster's Kubernetes).`;
/** --manifest's help, and vk up's --cpi-manifest and --csi-manifest. */
export const manifestSummary = (what = '') =>
  `Apply this ${what ? `${what} ` : ''}manifest FILE or URL instead of downloading the release (air-gapped sites).`;

export const installFlags = {
  version: Flags.string({
    helpGroup: INSTALL,
    summary: releaseSummary('Release', 'v1.36.0 (CPI) or v3.8.0 (CSI)'),
    exclusive: ['manifest'],
  }),
  manifest: Flags.string({
    helpGroup: INSTALL,
    summary: manifestSummary(),
  }),
  'image-registry': Flags.string({
    helpGroup: INSTALL,
    summary: 'Pull every image from this registry HOST[/PATH] instead (a private mirror).',
  }),
  timeout: Flags.string({
    helpGroup: INSTALL,
    default: '5m',
    summary: 'How long to wait for the rollout and the verification together (e.g. 90s, 10m).',
  }),
  'dry-run': dryRunFlag({
    helpGroup: INSTALL,
    server: true,
    summary:
      'client (or bare --dry-run): print the objects that would be applied; server: let the API server validate them.',
  }),
  'force-conflicts': Flags.boolean({
    helpGroup: INSTALL,
    summary: 'Take over fields another field manager owns (server-side apply --force-conflicts).',
  }),
};

export function installOptions(flags: {
  version?: string;
  manifest?: string;
  'image-registry'?: string;
  timeout: string;
  'dry-run'?: string;
  'force-conflicts': boolean;
}): InstallOptions {
  const timeoutMs = durationMs(flags.timeout);
  return {
    version: flags.version,
    manifest: flags.manifest,
    imageRegistry: flags['image-registry'],
    timeoutMs,
    dryRun: dryRunOf(flags['dry-run']),
    force: flags['force-conflicts'],
  };
}

/**
 * The CSI config vk install csi and vk up write: block volumes on the given
 * datacenters, with topology when categories are given (file shares and net
 * permissions are vk generate csi's).
 */
export function csiInstallConfig(opts: {
  settings: VsphereSettings;
  datacenters: string[];
  credentials: DriverCredentials;
  clusterId?: string;
  topologyCategories?: string[];
}): InstallCsiInput['generate'] {
  return {
    ...opts,
    verify: false,
    checkDatacenters: true,
    fileShareClusters: [],
    fileShareDatastoreUrls: [],
    topologyCategories: opts.topologyCategories ?? [],
    netPermissions: [],
  };
}

/** --topology-category of vk install csi and vk up. */
export const topologyCategoryFlag = Flags.string({
  multiple: true,
  delimiter: ',',
  summary:
    "vSphere tag category for topology; repeatable or comma-separated (region first, then zone). Writes [Labels] topology-categories and turns on csi-provisioner's Topology gate and --strict-topology.",
});

export const appliedTable = (r: InstallResult<unknown>): Table => ({
  columns: ['kind', 'namespace', 'name', 'result'],
  rows: [...r.objects, ...r.pruned].map((o) => [
    o.kind,
    o.namespace,
    o.name,
    o.action + (r.dryRun === 'server' ? ' (server dry run)' : ''),
  ]),
});

/** --dry-run=client: the objects as they would be sent, a YAML stream or (-o json) a List. */
export async function printClientDryRun(
  ctx: Context,
  objects: KubeObject[],
  prune: readonly Omit<PrunedObject, 'action'>[] = [],
): Promise<void> {
  const format = ctx.output === 'json' ? 'json' : 'yaml';
  process.stdout.write(await renderObjects(objects as unknown as RevealedObject[], format));
  const pruned = describePruned(prune.map((o) => ({ ...o, action: 'would prune' as const })));
  ctx.log.info(
    `dry run: would apply ${objects.length} objects with server-side apply${pruned ? `; ${pruned}` : ''}; nothing was changed`,
  );
}

export function logSummary(ctx: Context, r: InstallResult<unknown>): void {
  const name = componentName(r.component);
  ctx.log.info(`${name} ${r.version}: ${summarizeInstall(r)}`);
  const pruned = describePruned(r.pruned);
  if (pruned) ctx.log.info(`${name} ${r.version}: ${pruned}`);
  for (const w of r.rollouts) ctx.log.info(`${w.kind} ${w.namespace}/${w.name} ready after ${w.seconds}s`);
}

type InstallFlagValues = Parameters<typeof installOptions>[0];
type VsphereFlagValues = Parameters<typeof resolveVsphereSettings>[0];

/** vk install cpi's input (and vk up's install-cpi step): the flags, then env and the config file. */
export function cpiInstallInput(
  f: InstallFlagValues & VsphereFlagValues & { region?: string; zone?: string; datacenter?: string[] },
  opts: { env: NodeJS.ProcessEnv; noTaint: boolean },
): InstallCpiInput {
  return {
    ...installOptions(f),
    noTaint: opts.noTaint,
    generate: {
      settings: resolveVsphereSettings(f, opts.env),
      datacenters: f.datacenter ?? [],
      credentials: driverCredentials(f, 'cpi'),
      verify: false,
      checkDatacenters: true,
      ...cpiConfigOptions(f),
    },
  };
}

/** vk install csi's input (and vk up's install-csi step). */
export function csiInstallInput(
  f: InstallFlagValues &
    VsphereFlagValues & { datacenter?: string[]; 'cluster-id'?: string; 'topology-category'?: string[] },
  opts: { env: NodeJS.ProcessEnv; skipPreflight: boolean },
): InstallCsiInput {
  return {
    ...installOptions(f),
    skipPreflight: opts.skipPreflight,
    generate: csiInstallConfig({
      settings: resolveVsphereSettings(f, opts.env),
      datacenters: f.datacenter ?? [],
      credentials: driverCredentials(f, 'csi'),
      clusterId: f['cluster-id'],
      topologyCategories: f['topology-category'] ?? [],
    }),
  };
}

/**
 * A vk install command: plan; with --dry-run=client print the objects and
 * stop; else apply with progress, print the table (-o: the result), log the
 * summary and `more` lines, and throw the step's failure.
 */
export async function runInstallCommand<
  I extends { dryRun: DryRunMode },
  P extends InstallPlanLike,
  R extends InstallResult<unknown>,
>(
  ctx: Context,
  step: Step<I, P, R>,
  input: I,
  opts: {
    clientObjects: (plan: P) => KubeObject[];
    print: (result: R) => Promise<void>;
    more?: (plan: P, result: R) => Array<string | undefined>;
  },
): Promise<void> {
  const [{ createProgress }, { quietRun }] = await Promise.all([import('./progress.js'), import('./step-run.js')]);
  const progress = createProgress({ interactive: ctx.interactive, log: ctx.log });
  const run = quietRun(input.dryRun, progress);
  const plan = await step.plan(ctx, input, run);
  if (input.dryRun === 'client') return printClientDryRun(ctx, opts.clientObjects(plan), plan.prune);
  const result = await step.apply(ctx, plan, run);
  await opts.print(result);
  logSummary(ctx, result);
  for (const line of opts.more?.(plan, result) ?? []) if (line) ctx.log.info(line);
  const err = step.failure(result);
  if (err) throw err;
}

interface InstallPlanLike {
  prune: readonly Omit<PrunedObject, 'action'>[];
}
