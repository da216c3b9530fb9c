// Logger: progress, warnings and debug go to stderr so stdout stays a clean
// result. Every line passes through redaction of the process's secrets.

import { redact, type Secret } from '../core/secret.js';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string | (() => string)): void;
  readonly debugEnabled: boolean;
  /** Registers a secret whose value must never appear in any log line. */
  addSecret(secret: Secret | undefined): void;
}

export interface LoggerOptions {
  debug: boolean;
  color: boolean;
  write?: (line: string) => void;
}

export function createLogger(opts: LoggerOptions): Logger {
  const secrets: Secret[] = [];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const yellow = (s: string) => (opts.color ? `\u001b[33m${s}\u001b[39m` : s);
  const dim = (s: string) => (opts.color ? `\u001b[2m${s}\u001b[22m` : s);
  const clean = (s: string) => redact(s, secrets);
  return {
    debugEnabled: opts.debug,
    info: (m) => write(clean(m)),
    warn: (m) => write(yellow('warning: ') + clean(m)),
    debug: (m) => {
      if (!opts.debug) return;
      write(dim('debug: ' + clean(typeof m === 'function' ? m() : m)));
    },
    addSecret: (s) => {
      if (s && !s.isEmpty) secrets.push(s);
    },
  };
}

export const silentLogger: Logger = {
  debugEnabled: false,
  info: () => {},
  warn: () => {},
  debug: () => {},
  addSecret: () => {},
};
