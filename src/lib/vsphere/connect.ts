// Opens the process's one vSphere session: resolves flags and environment
// (flags first, then VK_*, then govc's GOVC_* names), validates them before
// any request, connects, and reuses a saved session when vCenter still
// accepts it. The base command calls connect() lazily and release() in its
// finally.

import { UsageError } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import type { Logger } from '../cli/logger.js';
import { VimClient } from './soap/client.js';
import { chooseDatacenter, listDatacenters, type DatacenterRef } from './inventory.js';
import { currentSession, login, logout, SessionStore, sessionFile } from './session.js';
import { resolveVsphereSettings, type RawVsphereFlags } from '../settings/vsphere.js';
import { parseVcenterUrl } from '../settings/vcenter-url.js';
import { envValue, SETTINGS } from '../settings/table.js';
import { parseThumbprint, readCaFiles, type TlsSettings } from './soap/tls.js';
import type { AboutInfo, ServiceContent, UserSession } from './types.js';
import type { TaggingClient } from './tagging.js';

export interface ConnectDeps {
  log: Logger;
  signal: AbortSignal;
}

export interface VsphereOptions {
  /** SDK endpoint without credentials, e.g. https://vc.example.com/sdk. */
  url: URL;
  userName: string;
  password: Secret;
  tls: TlsSettings;
  persistSession: boolean;
  timeoutMs: number;
  datacenter?: string;
}

export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;

const falsy = (v: string | undefined) => v !== undefined && /^(0|false|no|off)$/i.test(v.trim());

/** Flags, then VK_*, then GOVC_*; validated, with files read. No request is sent. */
export async function resolveVsphereOptions(flags: RawVsphereFlags, env: NodeJS.ProcessEnv): Promise<VsphereOptions> {
  const given = resolveVsphereSettings(flags, env);
  if (!given.url) {
    throw new UsageError('no vCenter URL given', { hint: 'pass --url or set GOVC_URL (or VK_URL)' });
  }
  const parsed = parseVcenterUrl(given.url);
  const userName = given.username;
  if (!userName) {
    throw new UsageError('no vCenter user name given', {
      hint: 'pass --username or set GOVC_USERNAME (or put user:password@ in the URL)',
    });
  }
  if (given.password === undefined) {
    throw new UsageError(`no password given for ${userName}`, {
      hint: 'pass --password or set GOVC_PASSWORD (or put user:password@ in the URL)',
    });
  }

  const caFiles = given.caFile;
  let caPem: string | undefined;
  if (caFiles) caPem = (await readCaFiles(caFiles)).join('\n');

  const persistSession = flags['persist-session'] ?? !falsy(envValue('persist-session', env));

  let timeoutSeconds = flags['request-timeout'];
  const timeoutEnv = envValue('request-timeout', env);
  if (timeoutSeconds === undefined && timeoutEnv) {
    timeoutSeconds = Number(timeoutEnv);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
      const name = SETTINGS['request-timeout'].env[0];
      throw new UsageError(`invalid ${name} "${timeoutEnv}"`, { hint: 'expected seconds > 0' });
    }
  }

  return {
    url: parsed.url,
    userName,
    password: given.password,
    tls: {
      insecure: parsed.url.protocol === 'https:' && given.insecure,
      caPem,
      thumbprint: given.thumbprint ? parseThumbprint(given.thumbprint) : undefined,
    },
    persistSession,
    timeoutMs: (timeoutSeconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS) * 1000,
    datacenter: given.datacenter,
  };
}

/** The process's one vSphere session, shared by every step. */
export class VsphereSession {
  #datacenters?: Promise<DatacenterRef[]>;
  #tagging?: Promise<TaggingClient>;
  #released = false;

  constructor(
    readonly client: VimClient,
    readonly options: VsphereOptions,
    readonly userSession: UserSession,
    private readonly log: Logger,
  ) {}

  get serviceContent(): ServiceContent {
    return this.client.sc;
  }

  get about(): AboutInfo {
    return this.client.sc.about;
  }

  /** The logged-in user as vCenter names it (e.g. VSPHERE.LOCAL\Administrator). */
  get userName(): string {
    return this.userSession.userName;
  }

  /** SOAP requests sent so far in this process. */
  get requestCount(): number {
    return this.client.requestCount;
  }

  /** Every datacenter (fetched once). */
  datacenters(): Promise<DatacenterRef[]> {
    return (this.#datacenters ??= listDatacenters(this.client));
  }

  /** --datacenter / GOVC_DATACENTER, or the only datacenter; else a usage error listing them. */
  async datacenter(name = this.options.datacenter): Promise<DatacenterRef> {
    return chooseDatacenter(await this.datacenters(), name);
  }

  /** The vAPI tagging client, logged in on first use with this session's credentials, logged out by release(). */
  tagging(): Promise<TaggingClient> {
    return (this.#tagging ??= import('./tagging.js').then(({ TaggingClient }) =>
      TaggingClient.login(this.client, this.options.userName, this.options.password),
    ));
  }

  /** Logs out unless the session is persisted for the next command; closes connections. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.client.detachSignal();
    try {
      if (this.#tagging) await (await this.#tagging.catch(() => undefined))?.logout();
      if (!this.options.persistSession && this.client.cookie) await logout(this.client);
    } finally {
      this.log.debug(`${this.client.requestCount} vSphere requests`);
      await this.client.close();
    }
  }
}

export async function connect(
  flags: RawVsphereFlags,
  env: NodeJS.ProcessEnv,
  deps: ConnectDeps,
): Promise<VsphereSession> {
  const options = await resolveVsphereOptions(flags, env);
  deps.log.addSecret(options.password);
  const client = await VimClient.create({
    url: options.url,
    tls: options.tls,
    timeoutMs: options.timeoutMs,
    log: deps.log,
    signal: deps.signal,
  });
  try {
    await client.retrieveServiceContent();
    const store = options.persistSession
      ? new SessionStore(sessionFile(env, options.url, options.userName), deps.log)
      : undefined;
    let user: UserSession | undefined;
    if (store) {
      client.cookie = await store.load(options.url, options.userName);
      if (client.cookie) deps.log.addSecret(new Secret(cookieValue(client.cookie)));
      user = await currentSession(client);
      deps.log.debug(user ? `reusing the saved session of ${user.userName}` : 'no valid saved session');
    }
    if (!user) {
      client.cookie = undefined;
      user = await login(client, options.userName, options.password);
      if (client.cookie) deps.log.addSecret(new Secret(cookieValue(client.cookie)));
      deps.log.debug(`logged in to ${client.hostPort} as ${user.userName}`);
      if (store && client.cookie) await store.save(options.url, options.userName, client.cookie);
    }
    return new VsphereSession(client, options, user, deps.log);
  } catch (err) {
    await client.close();
    throw err;
  }
}

function cookieValue(cookie: string): string {
  return cookie.slice(cookie.indexOf('=') + 1).replace(/^"|"$/g, '');
}
