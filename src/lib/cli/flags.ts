// Flag groups, like govc's ClientFlag / DatacenterFlag / OutputFlag: each group
// owns its flags; commands compose the groups they need. Environment variables
// are resolved in `resolveVsphereOptions` (not by oclif) so that VK_* and the
// govc-compatible GOVC_* names both work, flags first.

import { Flags } from '@oclif/core';
import { outputFormats } from './output.js';
import { settingHelp } from '../settings/table.js';
import type { DryRunMode } from '../core/step.js';
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../kube/duration.js';

const VSPHERE = 'VSPHERE';
const KUBE = 'KUBERNETES';
const GLOBAL = 'GLOBAL';

export const vsphereFlags = {
  url: Flags.string({
    helpGroup: VSPHERE,
    summary: settingHelp('url'),
  }),
  username: Flags.string({ helpGroup: VSPHERE, summary: settingHelp('username') }),
  password: Flags.string({ helpGroup: VSPHERE, summary: settingHelp('password') }),
  insecure: Flags.boolean({
    helpGroup: VSPHERE,
    allowNo: true,
    summary: settingHelp('insecure'),
  }),
  'ca-file': Flags.string({
    helpGroup: VSPHERE,
    summary: settingHelp('ca-file'),
  }),
  thumbprint: Flags.string({
    helpGroup: VSPHERE,
    summary: settingHelp('thumbprint'),
  }),
  datacenter: Flags.string({
    helpGroup: VSPHERE,
    summary: settingHelp('datacenter'),
  }),
  'persist-session': Flags.boolean({
    helpGroup: VSPHERE,
    allowNo: true,
    summary: settingHelp('persist-session'),
  }),
  'request-timeout': Flags.integer({
    helpGroup: VSPHERE,
    min: 1,
    summary: settingHelp('request-timeout'),
  }),
};

export const kubeFlags = {
  kubeconfig: Flags.string({ helpGroup: KUBE, summary: settingHelp('kubeconfig') }),
  context: Flags.string({ helpGroup: KUBE, summary: settingHelp('context') }),
};

export const globalFlags = {
  config: Flags.string({
    helpGroup: GLOBAL,
    summary: 'Config file with default flag values (env VK_CONFIG; default ~/.config/vk/config.yaml, see vk init).',
  }),
  output: Flags.string({
    char: 'o',
    helpGroup: GLOBAL,
    options: [...outputFormats],
    default: 'table',
    summary: 'Output format.',
  }),
  debug: Flags.boolean({ helpGroup: GLOBAL, summary: 'Print requests and stack traces to stderr (env VK_DEBUG).' }),
  color: Flags.boolean({
    helpGroup: GLOBAL,
    allowNo: true,
    summary: 'Colored output (default on a terminal; env NO_COLOR turns it off).',
  }),
};

export type { DryRunMode };

/**
 * `--dry-run[=client|server]` with kubectl's meaning in every command: bare
 * `--dry-run` is `client` (vk works out what would change and sends no
 * write); `server` (where offered) also has the Kubernetes API server
 * validate the objects. The base command turns a bare `--dry-run` into
 * `--dry-run=client`, since oclif has no optional flag values. No default,
 * so that `dependsOn` only applies when the flag is given.
 */
export function dryRunFlag(opts: { summary: string; server?: boolean; helpGroup?: string; dependsOn?: string[] }) {
  return Flags.string({
    options: opts.server ? ['none', 'client', 'server'] : ['none', 'client'],
    helpGroup: opts.helpGroup,
    dependsOn: opts.dependsOn,
    summary: opts.summary,
  });
}

/** The mode of a parsed --dry-run (unset: none). */
export function dryRunOf(value: string | undefined): DryRunMode {
  return value === 'client' || value === 'server' ? value : 'none';
}

/** Whether a parsed --dry-run asks for a dry run (client or server). */
export function isDryRun(value: string | undefined): boolean {
  return dryRunOf(value) !== 'none';
}

/** A duration flag's value in ms (90s, 5m, 1h); anything else is a usage error naming the flag. */
export function durationMs(value: string, flag = '--timeout'): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new UsageError(`invalid ${flag} "${value}"`, { hint: 'use a duration such as 90s, 5m or 1h' });
  }
  return ms;
}
