// vk init's questions on a terminal (@inquirer/prompts, on stderr so stdout
// keeps only the result). Values already given as flags or environment are
// not asked again; the connection is tested as soon as the credentials are
// in, and the datacenters, VM folders and datastores offered are the live ones.

import { isVkError } from '../core/errors.js';
import type { Context } from '../core/context.js';
import type { VsphereSession } from '../vsphere/connect.js';
import { TlsVerificationError } from '../vsphere/soap/faults.js';
import { resolveVsphereSettings } from '../settings/vsphere.js';
import { chooseDatacenter, type DatacenterRef } from '../vsphere/inventory.js';
import { checkDatastore, checkFolder, readDatacenterInventory } from './inventory.js';
import type { InitAnswers, InitFlags } from './types.js';

const NONE = '';

async function prompts() {
  return import('@inquirer/prompts');
}

function promptContext(ctx: Context) {
  return { output: process.stderr, signal: ctx.signal };
}

export async function confirmOverwrite(ctx: Context, file: string): Promise<boolean> {
  const { confirm } = await prompts();
  return confirm({ message: `${file} exists. Overwrite it?`, default: false }, promptContext(ctx));
}

export async function askInit(
  ctx: Context,
  flags: InitFlags,
): Promise<{ session: VsphereSession; answers: InitAnswers }> {
  const { confirm, input, password, select } = await prompts();
  const pc = promptContext(ctx);
  const settings = resolveVsphereSettings(flags, ctx.env);
  const given = { url: settings.url, username: settings.username, password: settings.password?.reveal() };
  const required = (v: string) => (v.trim() === '' ? 'required' : true);

  let session: VsphereSession | undefined;
  let url = given.url;
  let username = given.username;
  while (!session) {
    if (!given.url) url = await input({ message: 'vCenter URL', default: url, validate: required }, pc);
    if (!given.username) {
      username = await input({ message: 'User name', default: username, validate: required }, pc);
    }
    const pass = given.password ?? (await password({ message: 'Password', mask: true }, pc));
    try {
      session = await ctx.connectVsphere({ ...flags, url, username, password: pass });
    } catch (err) {
      // Only a wrong answer is worth asking again; flags and env are not re-asked,
      // and an untrusted certificate needs --thumbprint/--ca-file, not new answers.
      const askedSomething = !given.url || !given.username || given.password === undefined;
      if (!askedSomething || ctx.signal.aborted || !isVkError(err) || err instanceof TlsVerificationError) throw err;
      ctx.log.warn(`${err.message}${err.hint ? `; ${err.hint}` : ''}`);
    }
  }
  ctx.log.info(`Connected to ${session.about.fullName} (version ${session.about.version}) as ${session.userName}`);

  const all = await session.datacenters();
  let datacenter: DatacenterRef | undefined;
  if (session.options.datacenter || all.length <= 1) {
    datacenter = chooseDatacenter(all, session.options.datacenter);
  } else {
    const path = await select(
      { message: 'Datacenter', choices: all.map((d) => ({ name: d.path, value: d.path })) },
      pc,
    );
    datacenter = chooseDatacenter(all, path);
  }

  const inv = await readDatacenterInventory(session, datacenter);
  const pick = async (message: string, options: string[]): Promise<string | undefined> => {
    if (options.length === 0) return undefined;
    const choice = await select(
      { message, choices: [...options.map((o) => ({ name: o, value: o })), { name: '(none)', value: NONE }] },
      pc,
    );
    return choice === NONE ? undefined : choice;
  };
  const folder = flags.folder ? checkFolder(flags.folder, inv) : await pick('VM folder of the nodes', inv.folders);
  const datastore = flags.datastore
    ? checkDatastore(flags.datastore, inv)
    : await pick('Datastore for volumes', inv.datastores);
  const savePassword =
    flags['save-password'] ??
    (await confirm({ message: 'Save the password in the config file (mode 0600)?', default: false }, pc));
  return { session, answers: { datacenter, folder, datastore, savePassword } };
}
