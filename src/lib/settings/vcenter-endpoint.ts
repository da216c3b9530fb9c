// The vCenter endpoint the drivers connect to, taken from the URL the admin
// session uses (--url / VK_URL / GOVC_URL: `host`, `host:port`,
// `https://user:pass@host:port/sdk`). Only host and port matter to the
// drivers' configs, so this is a small parser of its own rather than the
// session's URL handling.

import { UsageError } from '../core/errors.js';

export interface VcenterEndpoint {
  /** Host name or IP address, without brackets for IPv6. */
  host: string;
  port: number;
}

export function parseVcenterEndpoint(url: string): VcenterEndpoint {
  const raw = url.trim();
  if (raw === '') throw new UsageError('the vCenter URL is empty', { hint: 'set --url or GOVC_URL' });
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new UsageError(
      `the vCenter URL ${JSON.stringify(redactUserinfo(raw))} is not a valid host, host:port or URL`,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new UsageError(`the vCenter URL scheme ${parsed.protocol} is not supported; use https://`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UsageError('the vCenter URL has no host', { hint: 'set --url or GOVC_URL' });
  const port = parsed.port === '' ? (parsed.protocol === 'http:' ? 80 : 443) : Number(parsed.port);
  return { host, port };
}

function redactUserinfo(url: string): string {
  return url.replace(/^([a-z]+:\/\/)?[^@/]*@/i, '$1');
}
