// The one base command: shared flags, parsing in init(), one-line errors with
// exit codes in catch(), and release of the vSphere session and kube client in
// finally() — also after an error or Ctrl-C. Commands stay thin: they call into
// src/lib with `this.ctx` and print the result with `this.print()`.

import { Command, Errors, type Interfaces } from '@oclif/core';
import { ExitCode, InterruptedError, isVkError } from '../core/errors.js';
import { Secret, redact } from '../core/secret.js';
import type { UserConfig } from '../settings/user-config.js';
import type { Context } from '../core/context.js';
import type { KubeClient, RawKubeFlags } from '../kube/connect.js';
import type { VsphereSession } from '../vsphere/connect.js';
import type { RawVsphereFlags } from '../settings/vsphere.js';
import { urlUserinfo } from '../settings/vcenter-url.js';
import { SECRET_KEYS, SETTINGS, USERINFO_KEYS, type SettingKey } from '../settings/table.js';
import { globalFlags } from './flags.js';
import { createLogger, type Logger } from './logger.js';
import { renderResult, type OutputFormat, type Table } from './output.js';

export type VkFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof VkCommand)['baseFlags'] & T['flags']>;
export type VkArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());

export abstract class VkCommand<T extends typeof Command> extends Command {
  static override baseFlags = globalFlags;
  /** Usage errors from oclif's parser exit with 2, like kubectl. */
  static override enableJsonFlag = false;
  /** Fill unset flags from the config file (vk init, which writes it, does not). */
  static readsUserConfig = true;

  protected flags!: VkFlags<T>;
  protected args!: VkArgs<T>;
  /** Every positional argument, for commands with `strict = false` (e.g. several globs). */
  protected positionals: string[] = [];
  protected ctx!: Context;
  protected log_!: Logger;

  readonly #abort = new AbortController();
  #session?: Promise<VsphereSession>;
  #kube?: Promise<KubeClient>;
  #signalCount = 0;
  readonly #secrets: Secret[] = [];

  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.#signalCount++;
    if (this.#signalCount > 1) {
      process.stderr.write(`\nreceived ${signal} again, exiting without cleanup\n`);
      process.exit(ExitCode.interrupted);
    }
    process.stderr.write(`\nreceived ${signal}, cleaning up (press Ctrl-C again to exit at once)\n`);
    this.#abort.abort(new InterruptedError(`interrupted by ${signal}`));
  };

  public override async init(): Promise<void> {
    await super.init();
    const ctor = this.ctor as typeof VkCommand;
    this.argv = normalizeBooleanValues(this.argv, { ...ctor.baseFlags, ...ctor.flags });
    const { args, argv, flags, metadata } = await this.parse({
      flags: ctor.flags,
      baseFlags: ctor.baseFlags,
      args: ctor.args,
      strict: ctor.strict,
    });
    this.flags = flags as VkFlags<T>;
    this.args = args as VkArgs<T>;
    this.positionals = argv.map(String);

    const env = process.env;
    const debug = Boolean(this.flags.debug) || truthy(env.VK_DEBUG);
    const color =
      (this.flags.color as boolean | undefined) ?? (process.stderr.isTTY === true && env.NO_COLOR === undefined);
    this.log_ = createLogger({ debug, color });
    const config = ctor.readsUserConfig ? await this.#applyUserConfig(ctor, metadata, env) : undefined;
    // Every value a secret setting may take, and every password in a URL setting's user:password@.
    const valuesOf = (key: SettingKey) => [
      config?.[key as keyof UserConfig] === undefined ? undefined : String(config[key as keyof UserConfig]),
      this.flag(key),
      ...SETTINGS[key].env.map((name) => env[name]),
    ];
    for (const candidate of [...SECRET_KEYS.flatMap(valuesOf), ...USERINFO_KEYS.flatMap(valuesOf).map(urlPassword)]) {
      if (candidate) {
        const s = new Secret(candidate);
        this.#secrets.push(s);
        this.log_.addSecret(s);
      }
    }

    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);

    this.ctx = {
      vsphere: () => (this.#session ??= this.#connectVsphere(this.flags as unknown as RawVsphereFlags)),
      connectVsphere: (flags) => this.#replaceVsphere(flags),
      kube: () => (this.#kube ??= this.#connectKube()),
      log: this.log_,
      signal: this.#abort.signal,
      output: (this.flags.output ?? 'table') as OutputFormat,
      interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
      color,
      env,
    };
  }

  /** A flag's value by name, for flags that only some commands declare. */
  protected flag<V = string>(name: string): V | undefined {
    return (this.flags as Record<string, unknown> | undefined)?.[name] as V | undefined;
  }

  /**
   * Fills the flags the user left unset from the config file (flag > env >
   * file > default) and returns the file's values, so its secrets are redacted.
   */
  async #applyUserConfig(
    ctor: typeof VkCommand,
    metadata: { flags: Record<string, { setFromDefault?: boolean } | undefined> },
    env: NodeJS.ProcessEnv,
  ): Promise<UserConfig | undefined> {
    const { configLayer, loadUserConfig, userConfigLocation } = await import('../settings/user-config.js');
    const loaded = await loadUserConfig(userConfigLocation(this.flag('config'), env));
    if (!loaded) return undefined;
    this.log_.debug(`config file: ${loaded.path}`);
    const flags = this.flags as Record<string, unknown>;
    const layer = configLayer({
      config: loaded.values,
      declared: { ...ctor.baseFlags, ...ctor.flags } as Record<
        string,
        { type?: string; multiple?: boolean; exclusive?: string[] }
      >,
      flags,
      setFromDefault: (name) => metadata.flags[name]?.setFromDefault === true,
      args: (this.args ?? {}) as Record<string, unknown>,
      env,
    });
    Object.assign(flags, layer.values);
    for (const note of layer.notes) this.log_.debug(note);
    if (loaded.values.password !== undefined && loaded.readableByOthers) {
      this.log_.warn(
        `config file ${loaded.path} holds a password and others can read it; run: chmod 600 ${loaded.path}`,
      );
    }
    return loaded.values;
  }

  async #connectVsphere(raw: RawVsphereFlags): Promise<VsphereSession> {
    const { connect } = await import('../vsphere/connect.js');
    return connect(raw, this.ctx.env, { log: this.log_, signal: this.#abort.signal });
  }

  /** ctx.connectVsphere: releases any earlier session, then connects with these settings. */
  async #replaceVsphere(raw: RawVsphereFlags): Promise<VsphereSession> {
    const previous = this.#session;
    this.#session = undefined;
    if (previous)
      await previous.then(
        (s) => s.release(),
        () => undefined,
      );
    for (const candidate of [raw.password, urlPassword(raw.url)]) {
      if (candidate) {
        const s = new Secret(candidate);
        this.#secrets.push(s);
        this.log_.addSecret(s);
      }
    }
    return (this.#session = this.#connectVsphere(raw));
  }

  async #connectKube(): Promise<KubeClient> {
    const { connectKube } = await import('../kube/connect.js');
    const raw = this.flags as unknown as RawKubeFlags;
    return connectKube(raw, this.ctx.env, { log: this.log_, signal: this.#abort.signal });
  }

  /** Writes a result to stdout: `toText` for -o table, the value itself for json/yaml. */
  protected async print<R>(value: R, toText: (v: R) => Table | string): Promise<void> {
    const text = await renderResult(value, this.ctx.output, toText);
    if (text) process.stdout.write(text);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // this.exit() and oclif's own help/version exits pass through untouched.
    if (err instanceof Errors.ExitError) throw err;
    const debug = this.log_?.debugEnabled ?? (process.argv.includes('--debug') || truthy(process.env.VK_DEBUG));
    const clean = (s: string) => redact(s, this.#secrets);
    let exitCode: number;
    let line: string;
    if (this.#abort.signal.aborted && !isVkError(err)) {
      exitCode = ExitCode.interrupted;
      line = 'interrupted';
    } else if (isVkError(err)) {
      exitCode = err.exitCode;
      line = err.hint ? `${err.message}; ${err.hint}` : err.message;
    } else if (err instanceof Errors.CLIError || err.oclif?.exit !== undefined) {
      // Parse errors from oclif: usage errors. The arguments were parsed (and
      // rejected): keep oclif from warning that this command never parsed them.
      this.parsed = true;
      exitCode = ExitCode.usage;
      // oclif lists several failures under a header ("The following error occurred:"): the first one, said once.
      const lines = (err.message ?? String(err))
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !/^The following errors? occurred:?$/i.test(l) && !/^See more help with/i.test(l));
      const more = lines.length > 1 ? ` (and ${lines.length - 1} more)` : '';
      line = `${lines[0] ?? 'invalid arguments'}${more}; see 'vk ${this.id?.replaceAll(':', ' ') ?? ''} --help'`;
    } else {
      exitCode = ExitCode.failure;
      line = err.message || String(err);
      if (!debug) line += ' (run with --debug for details)';
    }
    process.stderr.write(`error: ${clean(line)}\n`);
    if (debug && err.stack) process.stderr.write(clean(err.stack) + '\n');
    process.exitCode = exitCode;
    return undefined;
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    const releases: Array<Promise<unknown>> = [];
    // A connection that failed was already reported by catch().
    if (this.#session)
      releases.push(
        this.#session.then(
          (s) => s.release(),
          () => undefined,
        ),
      );
    if (this.#kube)
      releases.push(
        this.#kube.then(
          (k) => k.close(),
          () => undefined,
        ),
      );
    const results = await Promise.allSettled(releases);
    for (const r of results) {
      if (r.status === 'rejected') this.log_?.debug(`cleanup: ${String((r.reason as Error)?.message ?? r.reason)}`);
    }
    if (this.#abort.signal.aborted && (process.exitCode ?? 0) === 0) process.exitCode = ExitCode.interrupted;
    return super.finally(err);
  }
}

/**
 * Accepts govc's `--flag=false` / `--flag=true` spelling for boolean flags
 * that have a --no- form (oclif only knows `--flag` / `--no-flag`), and a
 * bare `--dry-run` as `--dry-run=client`.
 */
function normalizeBooleanValues(argv: string[], flags: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const arg of argv) {
    if (arg === '--') return [...out, ...argv.slice(out.length)];
    // kubectl's bare --dry-run means client (oclif's string flags need a value).
    if (arg === '--dry-run' && (flags['dry-run'] as { type?: string } | undefined)?.type === 'option') {
      out.push('--dry-run=client');
      continue;
    }
    const m = /^--([a-z0-9-]+)=(true|false|1|0|yes|no)$/i.exec(arg);
    const def = m ? (flags[m[1]!] as { type?: string; allowNo?: boolean } | undefined) : undefined;
    if (m && def?.type === 'boolean' && def.allowNo) {
      out.push(/^(true|1|yes)$/i.test(m[2]!) ? `--${m[1]}` : `--no-${m[1]}`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

const urlPassword = (url: string | undefined) => urlUserinfo(url).password;
