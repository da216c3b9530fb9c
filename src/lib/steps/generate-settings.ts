// The admin session's settings the generators need (server, port, TLS
// choices, credentials, datacenter), resolved from the vSphere flags and the
// govc-compatible environment, flags first.
//
// TODO(lead): once src/lib/vsphere/connect.ts resolves these (its
// resolveVsphereOptions), use that instead so both agree on every rule.

import type { RawVsphereFlags } from '../vsphere/connect.js';
import { Secret } from '../secret.js';

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

function urlUserinfo(url: string | undefined): { username?: string; password?: string } {
  const m = url ? /^(?:[a-z][a-z0-9+.-]*:\/\/)?([^@/]*)@/i.exec(url) : null;
  if (!m) return {};
  const info = m[1]!;
  const i = info.indexOf(':');
  const dec = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return i < 0 ? { username: dec(info) } : { username: dec(info.slice(0, i)), password: dec(info.slice(i + 1)) };
}

export function resolveVsphereSettings(
  flags: Omit<RawVsphereFlags, 'datacenter'> & { datacenter?: string | string[] },
  env: NodeJS.ProcessEnv,
): VsphereSettings {
  const url = first(flags.url, env.VK_URL, env.GOVC_URL);
  const fromUrl = urlUserinfo(url);
  const password = first(flags.password, env.VK_PASSWORD, env.GOVC_PASSWORD, fromUrl.password);
  return {
    url,
    username: first(flags.username, env.VK_USERNAME, env.GOVC_USERNAME, fromUrl.username),
    password: password === undefined ? undefined : new Secret(password),
    insecure: flags.insecure ?? (truthy(env.VK_INSECURE) || truthy(env.GOVC_INSECURE)),
    caFile: first(flags['ca-file'], env.VK_TLS_CA_CERTS, env.GOVC_TLS_CA_CERTS),
    thumbprint: first(flags.thumbprint, env.VK_THUMBPRINT),
    datacenter: first(env.VK_DATACENTER, env.GOVC_DATACENTER),
  };
}
