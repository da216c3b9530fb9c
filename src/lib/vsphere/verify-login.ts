// Checks a second set of credentials (a driver's user) against the same
// vCenter as the admin session: one Login and Logout on a separate client, so
// the admin session is never replaced.

import type { Logger } from '../cli/logger.js';
import type { Secret } from '../core/secret.js';
import { VimClient } from './soap/client.js';
import type { VsphereOptions } from './connect.js';
import { login, logout } from './session.js';

export async function verifyLogin(
  options: VsphereOptions,
  userName: string,
  password: Secret,
  deps: { log: Logger; signal?: AbortSignal },
): Promise<void> {
  deps.log.addSecret(password);
  const client = await VimClient.create({
    url: options.url,
    tls: options.tls,
    timeoutMs: options.timeoutMs,
    log: deps.log,
    signal: deps.signal,
  });
  try {
    await client.retrieveServiceContent();
    await login(client, userName, password);
    await logout(client);
  } finally {
    await client.close();
  }
}
