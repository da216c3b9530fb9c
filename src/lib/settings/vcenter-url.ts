// The one reading of a vCenter URL, as govc reads GOVC_URL: `host`,
// `host:port` or `https://user:pass@host:port/sdk`; https and /sdk by
// default. The session (the SDK endpoint, the credentials in it), the
// drivers' configs (host and port only), vk init and the redaction of the
// password in it all use this module, so they agree on what the URL says.

import { UsageError } from '../core/errors.js';

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** scheme://, the userinfo before the last @ of the authority (undefined: none), and the rest. */
function split(raw: string): { scheme: string; userinfo?: string; rest: string } {
  const scheme = SCHEME.exec(raw)?.[0] ?? '';
  const after = raw.slice(scheme.length);
  const end = after.search(/[/?#]/);
  const at = (end < 0 ? after : after.slice(0, end)).lastIndexOf('@');
  return at < 0 ? { scheme, rest: after } : { scheme, userinfo: after.slice(0, at), rest: after.slice(at + 1) };
}

const decode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** The user name and password in the URL's userinfo, percent-decoded; never throws. */
export function urlUserinfo(url: string | undefined): { username?: string; password?: string } {
  const info = url === undefined ? undefined : split(url.trim()).userinfo;
  if (info === undefined) return {};
  const i = info.indexOf(':');
  const user = decode(i < 0 ? info : info.slice(0, i)) || undefined;
  return i < 0 ? { username: user } : { username: user, password: decode(info.slice(i + 1)) || undefined };
}

/** The URL as it may be shown: user:password@ replaced. */
export function redactUserinfo(raw: string): string {
  const { scheme, userinfo, rest } = split(raw);
  return userinfo === undefined ? raw : `${scheme}<redacted>@${rest}`;
}

export interface VcenterUrl {
  /** SDK endpoint without credentials, e.g. https://vc.example.com/sdk. */
  url: URL;
  /** Host name or IP address, without brackets for IPv6. */
  host: string;
  port: number;
  userName?: string;
  password?: string;
}

export function parseVcenterUrl(input: string): VcenterUrl {
  const raw = input.trim();
  if (raw === '') throw new UsageError('the vCenter URL is empty', { hint: 'pass --url or set GOVC_URL' });
  const { scheme, rest } = split(raw);
  let url: URL;
  try {
    url = new URL(`${scheme || 'https://'}${rest}`);
  } catch {
    throw new UsageError(`invalid vCenter URL "${redactUserinfo(raw)}"`, {
      hint: 'expected host, host:port or https://host/sdk',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`unsupported scheme "${url.protocol}" in vCenter URL`, { hint: 'use https:// (or http://)' });
  }
  if (!url.hostname) throw new UsageError(`invalid vCenter URL "${redactUserinfo(raw)}": no host`);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/sdk';
  url.hash = '';
  const { username, password } = urlUserinfo(raw);
  const port = url.port === '' ? (url.protocol === 'http:' ? 80 : 443) : Number(url.port);
  return { url, host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port, userName: username, password };
}
