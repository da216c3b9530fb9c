// CONTRACT STUB (filled in by the foundation work): resolves the vSphere
// flags + environment into connection options and opens the one session.
import type { Logger } from '../cli/logger.js';

/** The vSphere flags as parsed by oclif (before environment fallbacks). */
export interface RawVsphereFlags {
  url?: string;
  username?: string;
  password?: string;
  insecure?: boolean;
  'ca-file'?: string;
  thumbprint?: string;
  datacenter?: string;
  'persist-session'?: boolean;
  'request-timeout'?: number;
}

export interface VsphereSession {
  /** Logs out, or keeps the session alive when it is persisted for reuse. */
  release(): Promise<void>;
}

export interface ConnectDeps {
  log: Logger;
  signal: AbortSignal;
}

export async function connect(
  _flags: RawVsphereFlags,
  _env: NodeJS.ProcessEnv,
  _deps: ConnectDeps,
): Promise<VsphereSession> {
  throw new Error('not implemented');
}
