// The command side of `vk generate cpi|csi`, shared by both: their common
// flags and what to do
// with a plan (print redacted, print real values, write a 0600 file, or
// apply to the cluster).

import { Flags } from '@oclif/core';
import type { Context } from '../core/context.js';
import { Secret } from '../core/secret.js';
import { redactedObjects, renderObjects, revealObjects } from '../drivers/config-objects.js';
import { CPI_NODE_OPTIONS, type CpiNodeAddresses } from '../drivers/cpi/config.js';
import type { Table } from './output.js';
import { dryRunFlag } from './flags.js';
import {
  applyGenerated,
  writeCredentialsFile,
  type ApplyResult,
  type DriverCredentials,
  type GenerateDeps,
  type CpiOptions,
  type GeneratePlan,
} from '../drivers/generate.js';

const DRIVER = 'DRIVER CONFIG';

export const generateFlags = {
  datacenter: Flags.string({
    helpGroup: DRIVER,
    multiple: true,
    summary: 'Datacenter the driver serves; repeatable (default: env GOVC_DATACENTER, else every datacenter).',
  }),
  'show-secrets': Flags.boolean({
    summary: 'Print the real passwords instead of <redacted>.',
    exclusive: ['file', 'apply'],
  }),
  file: Flags.string({
    summary: 'Write the objects with the real passwords to this file (mode 0600) instead of stdout.',
    exclusive: ['apply'],
  }),
  apply: Flags.boolean({ summary: 'Write the objects into the cluster with server-side apply (no file at all).' }),
  'dry-run': dryRunFlag({
    summary: 'With --apply, client (or bare --dry-run): print what would be applied, change nothing.',
    dependsOn: ['apply'],
  }),
  verify: Flags.boolean({
    allowNo: true,
    default: true,
    summary: "Log in once with the driver's own credentials before writing anything (--no-verify skips it).",
  }),
};

const NODE_ADDRESSES = 'NODE ADDRESSES (CPI)';
const cidrs = (summary: string) =>
  Flags.string({
    helpGroup: NODE_ADDRESSES,
    multiple: true,
    delimiter: ',',
    summary: `${summary}; comma-separated or repeatable.`,
  });

/** The CPI's own settings: topology label categories and how node addresses are picked (shared by generate and install). */
export const cpiConfigFlags = {
  region: Flags.string({
    helpGroup: DRIVER,
    summary: 'vSphere tag category whose tags become the region label of nodes.',
  }),
  zone: Flags.string({ helpGroup: DRIVER, summary: 'vSphere tag category whose tags become the zone label of nodes.' }),
  'internal-network-subnet-cidr': cidrs("Node InternalIP: the VM's IP within these CIDRs"),
  'external-network-subnet-cidr': cidrs("Node ExternalIP: the VM's IP within these CIDRs"),
  'internal-vm-network-name': Flags.string({
    helpGroup: NODE_ADDRESSES,
    summary: "Node InternalIP: the IP of the VM's NIC on this vSphere network (checked to exist).",
  }),
  'external-vm-network-name': Flags.string({
    helpGroup: NODE_ADDRESSES,
    summary: "Node ExternalIP: the IP of the VM's NIC on this vSphere network (checked to exist).",
  }),
  'exclude-internal-network-subnet-cidr': cidrs('Never an InternalIP from these CIDRs'),
  'exclude-external-network-subnet-cidr': cidrs('Never an ExternalIP from these CIDRs'),
};

/** The CPI options of cpiConfigFlags as the generate step takes them (flag names from CPI_NODE_OPTIONS). */
export function cpiConfigOptions(f: { region?: string; zone?: string }): Pick<CpiOptions, 'region' | 'zone' | 'nodes'> {
  const flags = f as Record<string, string | string[] | undefined>;
  const nodes = Object.fromEntries(
    Object.entries(CPI_NODE_OPTIONS).map(([key, flag]) => [key, flags[flag.slice('--'.length)]]),
  ) as CpiNodeAddresses;
  return { region: f.region, zone: f.zone, nodes };
}

/**
 * --cpi-username/--cpi-password (or csi). For `rotate`, they name the
 * account whose password changes and its new password, with no fallback to
 * vk's own login.
 */
export function driverCredentialFlags(which: 'cpi' | 'csi', purpose: 'config' | 'rotate' = 'config') {
  const upper = which.toUpperCase();
  const rotate = purpose === 'rotate';
  return {
    [`${which}-username`]: Flags.string({
      helpGroup: DRIVER,
      env: `VK_${upper}_USERNAME`,
      summary: rotate
        ? `The ${upper} account (env VK_${upper}_USERNAME; default: the only user in the ${upper}'s Secret).`
        : `vCenter user the ${upper} logs in as (env VK_${upper}_USERNAME; default: --username).`,
    }),
    [`${which}-password`]: Flags.string({
      helpGroup: DRIVER,
      env: `VK_${upper}_PASSWORD`,
      summary: rotate
        ? `Its new password (env VK_${upper}_PASSWORD; asked without echo on a terminal).`
        : `Password of the ${upper} user (env VK_${upper}_PASSWORD; default: --password).`,
    }),
  };
}

export function driverCredentials(flags: Record<string, unknown>, which: 'cpi' | 'csi'): DriverCredentials {
  const username = flags[`${which}-username`] as string | undefined;
  const password = flags[`${which}-password`] as string | undefined;
  return { username, password: password === undefined ? undefined : new Secret(password) };
}

export interface EmitOptions {
  showSecrets: boolean;
  file?: string;
  apply: boolean;
  dryRun: boolean;
}

const applyTable = (results: ApplyResult[]): Table => ({
  columns: ['kind', 'namespace', 'name', 'result'],
  rows: results.map((r) => [r.kind, r.namespace, r.name, r.action]),
});

/** Prints, writes or applies a plan; returns apply results to print, if any. */
export async function emitGenerated(
  ctx: Context,
  plan: GeneratePlan,
  deps: GenerateDeps,
  opts: EmitOptions,
  print: (results: ApplyResult[], toText: (r: ApplyResult[]) => Table) => Promise<void>,
): Promise<void> {
  for (const s of plan.secrets) ctx.log.addSecret(s);
  const format = ctx.output === 'json' ? 'json' : 'yaml';
  if (opts.apply && !opts.dryRun) {
    await print(await applyGenerated(plan, deps), applyTable);
    return;
  }
  if (opts.file !== undefined) {
    await writeCredentialsFile(opts.file, await renderObjects(revealObjects(plan.objects), format));
    ctx.log.info(
      `wrote ${plan.objects.length} objects to ${opts.file} (mode 0600); it holds vCenter credentials: ` +
        `delete it after use`,
    );
    return;
  }
  const objects = opts.showSecrets ? revealObjects(plan.objects) : redactedObjects(plan.objects);
  process.stdout.write(await renderObjects(objects, format));
  if (opts.apply) ctx.log.info(`dry run: would apply ${plan.objects.length} objects with server-side apply`);
  if (!opts.showSecrets) {
    ctx.log.info(
      `passwords are shown as ${Secret.redacted}; use --show-secrets to print them, --file PATH to write them ` +
        `to a 0600 file, or --apply to write them to the cluster`,
    );
  }
}
