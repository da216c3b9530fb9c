// vCenter sessions: Login/Logout, the current-session check, and reuse of
// the session cookie across processes like govc (one file per URL and user
// under $XDG_CONFIG_HOME/vk/sessions, mode 0600), so two commands in a row
// log in once.

import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { vkConfigDir } from '../core/paths.js';
import type { Secret } from '../core/secret.js';
import type { Logger } from '../cli/logger.js';
import type { VimClient } from './soap/client.js';
import { findFault, InvalidLoginError, VimFault } from './soap/faults.js';
import type { UserSession } from './types.js';
import { retrieveOne } from './property-collector.js';

export async function login(client: VimClient, userName: string, password: Secret): Promise<UserSession> {
  const sessionManager = client.sc.sessionManager!;
  try {
    return await client.invoke<UserSession>('Login', sessionManager, { userName, password }, 'UserSession');
  } catch (err) {
    const invalid = err instanceof VimFault ? findFault(err, 'InvalidLogin') : undefined;
    if (err instanceof VimFault && invalid) {
      throw new InvalidLoginError(
        `cannot log in to ${client.url.hostname} as ${userName}: incorrect user name or password`,
        {
          fault: invalid,
          vimMessage: err.vimMessage,
          method: 'Login',
          hint: 'check --username/--password (or VK_USERNAME/VK_PASSWORD, GOVC_USERNAME/GOVC_PASSWORD, or the user:password in --url)',
        },
      );
    }
    throw err;
  }
}

export async function logout(client: VimClient): Promise<void> {
  await client.invoke('Logout', client.sc.sessionManager!);
  client.cookie = undefined;
}

/** The session the client's cookie belongs to, or undefined when it is not (or no longer) valid. */
export async function currentSession(client: VimClient): Promise<UserSession | undefined> {
  if (!client.cookie) return undefined;
  try {
    const props = await retrieveOne<{ currentSession: UserSession }>(client, client.sc.sessionManager!, [
      'currentSession',
    ]);
    return props.currentSession;
  } catch (err) {
    if (findFault(err, 'NotAuthenticated')) return undefined;
    throw err;
  }
}

/** Where saved sessions live: $XDG_CONFIG_HOME/vk/sessions (default ~/.config/vk/sessions). */
export function sessionDir(env: NodeJS.ProcessEnv): string {
  return join(vkConfigDir(env), 'sessions');
}

/** The file holding the cookie for this URL and user: a hash, so names never leak into `ls`. */
export function sessionFile(env: NodeJS.ProcessEnv, url: URL, userName: string): string {
  const key = `${url.protocol}//${url.host}${url.pathname}#${userName}`;
  return join(sessionDir(env), createHash('sha256').update(key).digest('hex').slice(0, 32) + '.json');
}

interface SavedSession {
  url: string;
  userName: string;
  cookie: string;
}

export class SessionStore {
  constructor(
    readonly file: string,
    private readonly log: Logger,
  ) {}

  async load(url: URL, userName: string): Promise<string | undefined> {
    try {
      const saved = JSON.parse(await readFile(this.file, 'utf8')) as Partial<SavedSession>;
      if (saved.url === url.href && saved.userName === userName && typeof saved.cookie === 'string') {
        return saved.cookie;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log.debug(`ignoring saved session: ${String(err)}`);
    }
    return undefined;
  }

  async save(url: URL, userName: string, cookie: string): Promise<void> {
    const dir = join(this.file, '..');
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
      const tmp = `${this.file}.${process.pid}.tmp`;
      const saved: SavedSession = { url: url.href, userName, cookie };
      await writeFile(tmp, JSON.stringify(saved) + '\n', { mode: 0o600 });
      await rename(tmp, this.file);
    } catch (err) {
      this.log.warn(`cannot save the vCenter session in ${dir}: ${(err as Error).message}`);
    }
  }

  async remove(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
