// vk's own config file (~/.config/vk/config.yaml, --config, VK_CONFIG): flat
// YAML whose keys are flag names. It is the lowest layer of settings — the
// command line beats the environment, which beats this file, which beats
// the built-in defaults — and `vk init` writes it. Only this module knows
// its shape; js-yaml is loaded only when a file exists.

import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { closest } from '../core/suggest.js';
import { vkConfigDir } from '../core/paths.js';
import { parseVcenterUrl, urlUserinfo } from './vcenter-url.js';
import { BOOLEAN_KEYS, CONFIG_KEYS, envSet as envIsSet, envValue, PER_VCENTER_KEYS, type ConfigKey } from './table.js';

/** Every key the file may hold, in the file's order; each is a flag of the commands that take it (settings/table.ts). */
export const userConfigKeys = CONFIG_KEYS;
export type UserConfigKey = ConfigKey;
export type UserConfig = Partial<Record<UserConfigKey, string | boolean>>;

/**
 * Flags that say the same thing another way: when the user gives one, the
 * file's key is not used (a StorageClass takes --datastore or --policy).
 */
const alternativesOf: Partial<Record<UserConfigKey, string[]>> = { datastore: ['policy'] };

export interface UserConfigLocation {
  path: string;
  /** Named by --config or VK_CONFIG: it must exist (except for vk init, which creates it). */
  explicit: boolean;
}

/** --config, else VK_CONFIG, else $XDG_CONFIG_HOME/vk/config.yaml. */
export function userConfigLocation(flag: string | undefined, env: NodeJS.ProcessEnv): UserConfigLocation {
  if (flag) return { path: flag, explicit: true };
  if (env.VK_CONFIG) return { path: env.VK_CONFIG, explicit: true };
  return { path: join(vkConfigDir(env), 'config.yaml'), explicit: false };
}

export interface LoadedUserConfig {
  path: string;
  values: UserConfig;
  /** Group or others may read the file (a concern only when it holds a password). */
  readableByOthers: boolean;
}

/**
 * Reads and checks the file. A missing default file is no config
 * (undefined); a missing explicit one is a usage error unless `allowMissing`.
 */
export async function loadUserConfig(
  location: UserConfigLocation,
  options: { allowMissing?: boolean } = {},
): Promise<LoadedUserConfig | undefined> {
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(location.path, 'utf8'), stat(location.path).then((s) => s.mode)]);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && (!location.explicit || options.allowMissing)) return undefined;
    throw new UsageError(`cannot read config file ${location.path}: ${code ?? (err as Error).message}`, {
      hint: code === 'ENOENT' ? 'create it with vk init, or fix --config / VK_CONFIG' : undefined,
    });
  }
  return {
    path: location.path,
    values: await parseUserConfig(text, location.path),
    readableByOthers: (mode & 0o077) !== 0,
  };
}

/** Parses and validates the YAML text; errors name the file and the key. */
export async function parseUserConfig(text: string, file: string): Promise<UserConfig> {
  const yaml = await import('js-yaml');
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file, schema: yaml.JSON_SCHEMA });
  } catch (err) {
    const reason = (err as { reason?: string; mark?: { line: number } }) ?? {};
    const where = reason.mark ? ` (line ${reason.mark.line + 1})` : '';
    throw new UsageError(`config file ${file}: invalid YAML${where}: ${reason.reason ?? (err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new UsageError(
      `config file ${file}: expected "key: value" lines, found a ${Array.isArray(doc) ? 'list' : typeof doc}`,
    );
  }
  const out: UserConfig = {};
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!(userConfigKeys as readonly string[]).includes(key)) {
      const near = closest(key, userConfigKeys);
      throw new UsageError(`config file ${file}: unknown key "${key}"`, {
        hint: near ? `did you mean "${near}"?` : `known keys: ${userConfigKeys.join(', ')}`,
      });
    }
    const k = key as UserConfigKey;
    if (value === null || value === undefined) continue;
    if (BOOLEAN_KEYS.has(k)) {
      if (typeof value !== 'boolean') {
        throw new UsageError(`config file ${file}: key "${k}" must be true or false`);
      }
      out[k] = value;
    } else if (typeof value === 'string' || typeof value === 'number') {
      out[k] = String(value);
    } else {
      throw new UsageError(`config file ${file}: key "${k}" must be a string`);
    }
  }
  return out;
}

const HEADER = `# vk config file, written by vk init. Every vk command reads it for defaults;
# command-line flags and environment variables (VK_*, GOVC_*, KUBECONFIG)
# override it. Keys are flag names (vk <command> --help); mode 0600.
`;

/** The file's text: the comment header, then the keys in their canonical order. */
export async function renderUserConfig(values: UserConfig): Promise<string> {
  const { dump } = await import('js-yaml');
  const ordered: Record<string, string | boolean> = {};
  for (const k of userConfigKeys) if (values[k] !== undefined && values[k] !== '') ordered[k] = values[k];
  return HEADER + dump(ordered, { lineWidth: -1 });
}

/**
 * Writes the file atomically (a temp file renamed over it), mode 0600 in a
 * 0700 directory it creates: it may hold a password.
 */
export async function writeUserConfig(path: string, values: UserConfig): Promise<void> {
  const text = await renderUserConfig(values);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.chmod(0o600);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export interface ConfigLayerInput {
  config: UserConfig;
  /** The command's flag definitions: only declared flags take a value from the file. */
  declared: Record<string, { type?: string; multiple?: boolean; exclusive?: string[] }>;
  flags: Record<string, unknown>;
  /** True when oclif filled the flag from its default (the user did not give it). */
  setFromDefault(name: string): boolean;
  /** Positional arguments given, by name: prepare-vms' FOLDER stands for --folder. */
  args: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
}

export interface ConfigLayer {
  /** Flag values to fill in from the file. */
  values: Record<string, string | boolean | string[]>;
  /** Why some of the file's keys were not used, for --debug. */
  notes: string[];
}

/**
 * The flag values the file supplies: a key is used only when the command
 * declares that flag, the user gave neither the flag (nor its positional
 * argument) nor one of its environment variables. The file's vCenter
 * settings (credentials, trust, inventory) are not used when the URL in
 * effect names another vCenter, so they never travel to the wrong server.
 */
export function configLayer(input: ConfigLayerInput): ConfigLayer {
  const { config, declared, flags, env } = input;
  const notes: string[] = [];
  const values: ConfigLayer['values'] = {};
  const envSet = (key: UserConfigKey) => envIsSet(key, env);
  const given = (key: string) =>
    (flags[key] !== undefined && !input.setFromDefault(key)) || input.args[key] !== undefined;

  const urlInEffect = given('url') ? (flags.url as string) : envValue('url', env);
  let otherVcenter = false;
  let urlUser = false;
  let urlPassword = false;
  if (urlInEffect !== undefined) {
    const u = endpoint(urlInEffect);
    urlUser = u.user;
    urlPassword = u.password;
    if (config.url !== undefined && endpoint(String(config.url)).hostPort !== u.hostPort) {
      otherVcenter = true;
      notes.push(
        `config: the URL in effect is not the file's (${endpoint(String(config.url)).hostPort}): its vCenter settings are not used`,
      );
    }
  }

  for (const key of userConfigKeys) {
    const value = config[key];
    if (value === undefined) continue;
    const def = declared[key];
    if (!def || given(key) || envSet(key)) continue;
    if ([...(def.exclusive ?? []), ...(alternativesOf[key] ?? [])].some(given)) continue;
    if (otherVcenter && PER_VCENTER_KEYS.has(key)) continue;
    if ((key === 'username' && urlUser) || (key === 'password' && urlPassword)) continue;
    if (def.type === 'boolean') {
      if (typeof value === 'boolean') values[key] = value;
    } else {
      values[key] = def.multiple ? [String(value)] : String(value);
    }
  }
  return { values, notes };
}

/** host:port of a vCenter URL as govc reads it (https and 443 by default), and whether it carries credentials. */
function endpoint(raw: string): { hostPort: string; user: boolean; password: boolean } {
  const info = urlUserinfo(raw);
  let hostPort: string;
  try {
    const e = parseVcenterUrl(raw);
    hostPort = `${e.host.toLowerCase()}:${e.port}`;
  } catch {
    hostPort = raw.trim().toLowerCase();
  }
  return { hostPort, user: info.username !== undefined, password: info.password !== undefined };
}
