// vk init: checks the connection and the inventory names it is given (or
// offers the live ones to pick from, in the wizard) and writes the config
// file every command reads. The terminal questions live in wizard.ts;
// this module never prompts.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError, VkError } from '../core/errors.js';
import { writeUserConfig, type UserConfig } from '../settings/user-config.js';
import type { Context } from '../core/context.js';
import type { InitAnswers, InitFlags, InitResult } from './types.js';
import type { VsphereSession } from '../vsphere/connect.js';
import { chooseDatacenter, datacenterArg, type DatacenterRef } from '../vsphere/inventory.js';
import { resolveVsphereSettings, type RawVsphereFlags } from '../settings/vsphere.js';
import { checkDatastore, checkFolder, readDatacenterInventory } from './inventory.js';

/** The connection flags that neither the command line nor the environment supplies, as "--url". */
export function missingConnectionFlags(flags: RawVsphereFlags, env: NodeJS.ProcessEnv): string[] {
  const given = resolveVsphereSettings(flags, env);
  const missing: string[] = [];
  if (!given.url) missing.push('--url');
  if (!given.username) missing.push('--username');
  if (given.password === undefined) missing.push('--password');
  return missing;
}

/**
 * The datacenter named by --datacenter/GOVC_DATACENTER (checked), else the
 * only one; undefined when there are several and none was named.
 */
export async function defaultDatacenter(
  session: VsphereSession,
  wanted: string | undefined,
): Promise<DatacenterRef | undefined> {
  const all = await session.datacenters();
  if (wanted || all.length === 1) return chooseDatacenter(all, wanted);
  return undefined;
}

/** Writes the file from the live session's settings and the answers; never logs the password. */
export async function writeInitConfig(
  ctx: Context,
  file: string,
  session: VsphereSession,
  flags: InitFlags,
  answers: InitAnswers,
): Promise<InitResult> {
  const { caFile, thumbprint } = resolveVsphereSettings(flags, ctx.env);
  const values: UserConfig = {
    url: session.options.url.href,
    username: session.options.userName,
    password: answers.savePassword ? session.options.password.reveal() : undefined,
    insecure: session.options.tls.insecure || undefined,
    'ca-file': caFile
      ?.split(':')
      .filter(Boolean)
      .map((f) => resolve(f))
      .join(':'),
    thumbprint,
    datacenter: answers.datacenter && datacenterArg(answers.datacenter),
    folder: answers.folder,
    datastore: answers.datastore,
    kubeconfig: flags.kubeconfig ? resolve(flags.kubeconfig) : undefined,
    context: flags.context,
  };
  await writeUserConfig(file, values);
  return {
    file,
    url: session.options.url.href,
    user: session.userName,
    product: session.about.fullName,
    version: session.about.version,
    datacenter: answers.datacenter && datacenterArg(answers.datacenter),
    folder: answers.folder,
    datastore: answers.datastore,
    passwordSaved: answers.savePassword,
  };
}

export interface InitOptions {
  flags: InitFlags;
  /** Where to write (from --config, VK_CONFIG or the default). */
  file: string;
  force: boolean;
}

/**
 * vk init from start to end. On a terminal, the wizard asks for what the
 * flags and environment leave open; otherwise nothing is asked and missing
 * connection flags are a usage error. Everything is checked before the file
 * is written; the file is written last.
 */
export async function runInit(ctx: Context, opts: InitOptions): Promise<InitResult> {
  const { flags, file } = opts;
  const wizard = ctx.interactive ? await import('./wizard.js') : undefined;
  if (existsSync(file) && !opts.force) {
    if (!wizard) throw new UsageError(`config file ${file} already exists`, { hint: 'pass --force to overwrite it' });
    if (!(await wizard.confirmOverwrite(ctx, file))) {
      throw new VkError(`config file ${file} left as it was`, { hint: 'nothing was written' });
    }
  }
  if (wizard) {
    const { session, answers } = await wizard.askInit(ctx, flags);
    return writeInitConfig(ctx, file, session, flags, answers);
  }

  const missing = missingConnectionFlags(flags, ctx.env);
  if (missing.length > 0) {
    throw new UsageError(`missing ${missing.join(', ')} (stdin is not a terminal, so vk init does not prompt)`);
  }
  const session = await ctx.vsphere();
  const needDatacenter = flags.folder !== undefined || flags.datastore !== undefined;
  const datacenter = needDatacenter
    ? await session.datacenter()
    : await defaultDatacenter(session, session.options.datacenter);
  const answers: InitAnswers = { datacenter, savePassword: flags['save-password'] === true };
  if (datacenter && needDatacenter) {
    const inv = await readDatacenterInventory(session, datacenter);
    if (flags.folder !== undefined) answers.folder = checkFolder(flags.folder, inv);
    if (flags.datastore !== undefined) answers.datastore = checkDatastore(flags.datastore, inv);
  }
  return writeInitConfig(ctx, file, session, flags, answers);
}
