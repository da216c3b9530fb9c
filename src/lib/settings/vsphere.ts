// The vCenter settings as the user gave them: each from its flag, then its
// environment variables (settings/table.ts: VK_*, then govc's GOVC_*), and
// user:password@ in the URL last. No validation
// and no I/O: connect() (resolveVsphereOptions) validates them into the
// session's options; the generators, vk init and the checks for "is a
// vCenter configured" read them as they are. One place, so all agree.

import { Secret } from '../core/secret.js';
import { urlUserinfo } from './vcenter-url.js';
import { envValue, SETTINGS } from './table.js';

/** The vSphere flags as parsed by oclif (before environment fallbacks). */
export interface RawVsphereFlags {
  url?: string;
  username?: string;
  password?: string;
  insecure?: boolean;
  'ca-file'?: string;
  thumbprint?: string;
  /** Commands that take several (vk generate) pass a list: the session's default is the first. */
  datacenter?: string | string[];
  'persist-session'?: boolean;
  'request-timeout'?: number;
}

export interface VsphereSettings {
  url?: string;
  username?: string;
  password?: Secret;
  insecure: boolean;
  caFile?: string;
  thumbprint?: string;
  datacenter?: string;
}

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
const first = (...values: Array<string | undefined>) => values.find((v) => v !== undefined && v !== '');

export function resolveVsphereSettings(
  flags: Omit<RawVsphereFlags, 'datacenter'> & { datacenter?: string | string[] },
  env: NodeJS.ProcessEnv,
): VsphereSettings {
  const url = first(flags.url, envValue('url', env));
  const fromUrl = urlUserinfo(url);
  const password = first(flags.password, envValue('password', env), fromUrl.password);
  // The first insecure variable that is set decides (VK_INSECURE=0 overrides GOVC_INSECURE=1).
  const insecureEnv = SETTINGS.insecure.env.map((n) => env[n]).find((v) => v !== undefined);
  return {
    url,
    username: first(flags.username, envValue('username', env), fromUrl.username),
    password: password === undefined ? undefined : new Secret(password),
    insecure: flags.insecure ?? truthy(insecureEnv),
    caFile: first(flags['ca-file'], envValue('ca-file', env)),
    thumbprint: first(flags.thumbprint, envValue('thumbprint', env)),
    datacenter: first(
      Array.isArray(flags.datacenter) ? flags.datacenter[0] : flags.datacenter,
      envValue('datacenter', env),
    ),
  };
}

/** A vCenter is configured: a URL comes from --url, VK_URL or GOVC_URL. */
export const vcenterConfigured = (url: string | undefined, env: NodeJS.ProcessEnv): boolean =>
  resolveVsphereSettings({ url }, env).url !== undefined;
