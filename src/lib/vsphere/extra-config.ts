// Reading a few advanced settings (config.extraConfig keys) of many VMs
// without fetching the whole array: vCenter's property paths select one
// element of a keyed array, `config.extraConfig["disk.enableUUID"]`, so the
// answer carries one OptionValue per VM instead of the dozens to hundreds a
// real VM has. Servers that do not know keyed paths (govmomi's simulator
// before v0.38) report them as InvalidProperty; then the whole array is read
// once more, and the client remembers not to ask again.
//
// A key the server could not read for another reason (NoPermission) is an
// UnreadablePropertyError for that VM, never "not set".

import type { VimClient } from './soap/client.js';
import { findFault, UnreadablePropertyError } from './soap/faults.js';
import type { RetrievedObject } from './property-collector.js';
import type { MissingProperty, OptionValue } from './types.js';

export const EXTRA_CONFIG = 'config.extraConfig';

/** The property path of one extraConfig key: config.extraConfig["disk.enableUUID"]. */
export function extraConfigKeyPath(key: string): string {
  return `${EXTRA_CONFIG}[${JSON.stringify(key)}]`;
}

/** Clients whose server answered a keyed path with InvalidProperty. */
const noKeyedPaths = new WeakSet<VimClient>();

/** What vk read of one VM's extraConfig. */
export interface ExtraConfigRead {
  /** The asked-for keys that are set, with their values. */
  values: Record<string, string>;
  /** Set when a property vk needs could not be read (names the property, object and privilege). */
  unreadable?: UnreadablePropertyError;
}

/**
 * Runs `retrieve` with the given property paths plus those that read `keys`
 * (one keyed path each, or config.extraConfig where the server has no keyed
 * paths) and returns each object with what it holds of those keys.
 * `retrieve` must fetch every object it is given the paths for in one call.
 */
export async function retrieveWithExtraConfig<T>(
  client: VimClient,
  keys: string[],
  paths: string[],
  retrieve: (paths: string[]) => Promise<Array<RetrievedObject<T>>>,
  objectName: (o: RetrievedObject<T>) => string | undefined = () => undefined,
): Promise<Array<{ object: RetrievedObject<T>; extraConfig: ExtraConfigRead }>> {
  if (keys.length > 0 && !noKeyedPaths.has(client)) {
    const keyed = keys.map(extraConfigKeyPath);
    let objects: Array<RetrievedObject<T>> | undefined;
    try {
      objects = await retrieve([...paths, ...keyed]);
    } catch (err) {
      // A server that checks paths up front faults the whole call instead.
      if (!findFault(err, 'InvalidProperty')) throw err;
    }
    if (objects && !keyedPathsUnknown(objects, keyed)) {
      return objects.map((object) => ({ object, extraConfig: fromKeyed(object, keys, objectName(object)) }));
    }
    noKeyedPaths.add(client);
  }
  const objects = await retrieve(keys.length > 0 ? [...paths, EXTRA_CONFIG] : paths);
  return objects.map((object) => ({ object, extraConfig: fromWhole(object, keys, objectName(object)) }));
}

const isInvalidProperty = (m: MissingProperty) => findFault(m.fault, 'InvalidProperty') !== undefined;

/** Every object reports the keyed paths as InvalidProperty, and none returned one: the server has no keyed paths. */
function keyedPathsUnknown<T>(objects: Array<RetrievedObject<T>>, keyed: string[]): boolean {
  const wanted = new Set(keyed);
  let invalid = 0;
  for (const o of objects) {
    if (Object.keys(o.props).some((p) => wanted.has(p))) return false;
    if (o.missing.some((m) => wanted.has(m.path) && isInvalidProperty(m))) invalid++;
  }
  return invalid > 0;
}

/** The first property vk asked for that the server could not read, other than an unknown keyed path. */
function unreadableOf<T>(o: RetrievedObject<T>, name: string | undefined): UnreadablePropertyError | undefined {
  const m = o.missing.find((x) => !(isInvalidProperty(x) && x.path.startsWith(`${EXTRA_CONFIG}[`)));
  return m ? new UnreadablePropertyError(o.ref, m, name) : undefined;
}

function fromKeyed<T>(o: RetrievedObject<T>, keys: string[], name: string | undefined): ExtraConfigRead {
  const props = o.props as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const key of keys) {
    const opt = props[extraConfigKeyPath(key)] as OptionValue | undefined;
    if (opt && typeof opt === 'object' && opt.value !== undefined) values[key] = String(opt.value);
  }
  return { values, unreadable: unreadableOf(o, name) };
}

function fromWhole<T>(o: RetrievedObject<T>, keys: string[], name: string | undefined): ExtraConfigRead {
  const wanted = new Set(keys);
  const values: Record<string, string> = {};
  const all = ((o.props as Record<string, unknown>)[EXTRA_CONFIG] as OptionValue[] | undefined) ?? [];
  for (const opt of all) if (wanted.has(opt.key) && opt.value !== undefined) values[opt.key] = String(opt.value);
  return { values, unreadable: unreadableOf(o, name) };
}
