// Flag groups, like govc's ClientFlag / DatacenterFlag / OutputFlag: each group
// owns its flags; commands compose the groups they need. Environment variables
// are resolved in `resolveVsphereOptions` (not by oclif) so that VK_* and the
// govc-compatible GOVC_* names both work, flags first.

import { Flags } from '@oclif/core';
import { outputFormats } from './output.js';
import type { DryRunMode } from '../core/step.js';
import { UsageError } from '../core/errors.js';
import { parseDuration } from '../kube/duration.js';

const VSPHERE = 'VSPHERE';
const KUBE = 'KUBERNETES';
const GLOBAL = 'GLOBAL';

export const vsphereFlags = {
  url: Flags.string({
    helpGroup: VSPHERE,
    summary: 'vCenter URL: host, host:port or https://user:pass@host/sdk (env VK_URL, GOVC_URL).',
  }),
  username: Flags.string({ helpGroup: VSPHERE, summary: 'vCenter user name (env VK_USERNAME, GOVC_USERNAME).' }),
  password: Flags.string({ helpGroup: VSPHERE, summary: 'vCenter password (env VK_PASSWORD, GOVC_PASSWORD).' }),
  insecure: Flags.boolean({
    helpGroup: VSPHERE,
    allowNo: true,
    summary: 'Skip TLS certificate verification (env VK_INSECURE, GOVC_INSECURE).',
  }),
  'ca-file': Flags.string({
    helpGroup: VSPHERE,
    summary: 'PEM file of CA certificates to trust (env VK_TLS_CA_CERTS, GOVC_TLS_CA_CERTS).',
  }),
  thumbprint: Flags.string({
    helpGroup: VSPHERE,
    summary: 'Pin the server certificate by its SHA-256 (or SHA-1) thumbprint (env VK_THUMBPRINT).',
  }),
  datacenter: Flags.string({
    helpGroup: VSPHERE,
    summary: 'Datacenter name or path (env VK_DATACENTER, GOVC_DATACENTER).',
  }),
  'persist-session': Flags.boolean({
    helpGroup: VSPHERE,
    allowNo: true,
    summary: 'Keep the session cookie in the config dir and reuse it (env VK_PERSIST_SESSION; default true).',
  }),
  'request-timeout': Flags.integer({
    helpGroup: VSPHERE,
    min: 1,
    summary: 'Seconds before a single vCenter request is abandoned (env VK_REQUEST_TIMEOUT; default 30).',
  }),
};

export const kubeFlags = {
  kubeconfig: Flags.string({ helpGroup: KUBE, summary: 'Path to the kubeconfig file (env KUBECONFIG).' }),
  context: Flags.string({ helpGroup: KUBE, summary: 'Kubeconfig context to use (default: the current context).' }),
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
