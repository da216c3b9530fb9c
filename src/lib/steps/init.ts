// vk init: checks the connection and the inventory names it is given (or
// offers the live ones to pick from, in the wizard) and writes the config
// file every command reads. The terminal questions live in init-wizard.ts;
// this module never prompts.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError, VkError } from '../errors.js';
import { writeUserConfig, type UserConfig } from '../config/user-config.js';
import type { Context } from '../context.js';
import type { RawVsphereFlags, VsphereSession } from '../vsphere/connect.js';
import { chooseDatacenter, datacenterArg, InventoryPaths, type DatacenterRef } from '../vsphere/inventory.js';
import { retrieveContents, toRetrieved, traversal } from '../vsphere/property-collector.js';
import { resolveVsphereSettings } from '../vsphere/settings.js';
import type { MoRef } from '../vsphere/types.js';
import { absoluteFolderPath } from './prepare-vms.js';

/** What vk init was told on the command line (and the environment for the connection). */
export interface InitFlags extends RawVsphereFlags {
  datacenter?: string;
  folder?: string;
  datastore?: string;
  kubeconfig?: string;
  context?: string;
  'save-password'?: boolean;
}

export interface InitResult {
  file: string;
  url: string;
  user: string;
  product: string;
  version: string;
  datacenter?: string;
  folder?: string;
  datastore?: string;
  passwordSaved: boolean;
}

/** The connection flags that neither the command line nor the environment supplies, as "--url". */
export function missingConnectionFlags(flags: RawVsphereFlags, env: NodeJS.ProcessEnv): string[] {
  const given = resolveVsphereSettings(flags, env);
  const missing: string[] = [];
  if (!given.url) missing.push('--url');
  if (!given.username) missing.push('--username');
  if (given.password === undefined) missing.push('--password');
  return missing;
}

/** A datacenter's VM folders (inventory paths) and datastores (names), from ONE RetrievePropertiesEx. */
export interface DatacenterInventory {
  datacenter: DatacenterRef;
  folders: string[];
  datastores: string[];
}

export async function readDatacenterInventory(
  session: VsphereSession,
  datacenter: DatacenterRef,
): Promise<DatacenterInventory> {
  const walk = () => [traversal('folders', 'Folder', 'childEntity', ['folders'])];
  const contents = await retrieveContents(session.client, [
    {
      propSet: [
        { type: 'Folder', pathSet: ['name', 'parent', 'childType'] },
        { type: 'Datastore', pathSet: ['name'] },
      ],
      objectSet: [
        { obj: datacenter.vmFolder, selectSet: walk() },
        { obj: datacenter.datastoreFolder, skip: true, selectSet: walk() },
      ],
    },
  ]);
  const objects = contents.map((c) => toRetrieved<{ name: string; parent: MoRef; childType: string[] }>(c));
  // Paths relative to the datacenter's VM folder, then made absolute.
  const paths = new InventoryPaths(datacenter.vmFolder);
  for (const o of objects) paths.add(o.ref, o.props.name ?? '', o.props.parent);
  const vmRoot = `${datacenter.path}/vm`;
  const folders = objects
    .filter((o) => o.ref.type === 'Folder' && (o.props.childType ?? []).includes('VirtualMachine'))
    .filter((o) => o.ref.value !== datacenter.vmFolder.value)
    .map((o) => vmRoot + paths.pathOf(o.ref))
    .sort();
  const datastores = objects
    .filter((o) => o.ref.type === 'Datastore')
    .map((o) => o.props.name ?? '')
    .sort();
  return { datacenter, folders, datastores };
}

/** The folder as an inventory path, when the datacenter has it; else a usage error listing them. */
export function checkFolder(wanted: string, inv: DatacenterInventory): string {
  const path = absoluteFolderPath(wanted, inv.datacenter);
  if (inv.folders.includes(path)) return path;
  throw new UsageError(
    `folder "${wanted}" not found in ${inv.datacenter.path}; VM folders: ${inv.folders.join(', ') || 'none'}`,
    { hint: 'pass one of them to --folder' },
  );
}

/** The datastore name, when the datacenter has it; else a usage error listing them. */
export function checkDatastore(wanted: string, inv: DatacenterInventory): string {
  const name = wanted.replace(/^.*\//, '');
  if (inv.datastores.includes(name)) return name;
  throw new UsageError(
    `datastore "${wanted}" not found in ${inv.datacenter.path}; datastores: ${inv.datastores.join(', ') || 'none'}`,
    { hint: 'pass one of them to --datastore' },
  );
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

export interface InitAnswers {
  datacenter?: DatacenterRef;
  folder?: string;
  datastore?: string;
  savePassword: boolean;
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
  const wizard = ctx.interactive ? await import('./init-wizard.js') : undefined;
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
