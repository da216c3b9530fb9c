// Field ownership for server-side apply, after sigs.k8s.io/structured-merge-diff:
// a field set is a set of paths whose elements are fieldsV1 keys (`f:spec`,
// `k:{"name":"c"}`). Lists with a merge key are associative; other lists are
// atomic (owned and replaced whole), as in the OpenAPI schemas of the kinds served.
import { isObject, MERGE_KEYS, type Json, type JsonObject } from './patch.js';
import { StatusError } from './status.js';
import type { KubeObject, ManagedFieldsEntry } from './types.js';
import { now } from './store.js';

export type FieldPath = string[];
const SEP = '\u0000';
const enc = (p: FieldPath): string => p.join(SEP);
const dec = (s: string): FieldPath => s.split(SEP);

/** Keys of an object whose fields nobody "owns". */
const UNOWNED_TOP = new Set(['apiVersion', 'kind', 'status']);
const UNOWNED_META = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'deletionTimestamp',
  'selfLink',
]);

function itemKey(field: string, item: Json): string | undefined {
  const mk = MERGE_KEYS[field];
  if (!mk || !isObject(item) || item[mk] === undefined) return undefined;
  return `k:${JSON.stringify({ [mk]: item[mk] })}`;
}

/** The leaf paths an object sets (what a manager owns after applying it). */
export function fieldSet(obj: KubeObject, opts: { status?: boolean } = {}): Set<string> {
  const out = new Set<string>();
  const walk = (v: Json, path: FieldPath, field: string): void => {
    if (isObject(v)) {
      const entries = Object.entries(v);
      if (entries.length === 0) out.add(enc(path));
      for (const [k, child] of entries) walk(child, [...path, `f:${k}`], k);
    } else if (Array.isArray(v) && MERGE_KEYS[field] && v.every((i) => itemKey(field, i))) {
      if (v.length === 0) out.add(enc(path));
      for (const item of v) {
        const p = [...path, itemKey(field, item)!];
        out.add(enc([...p, '.']));
        for (const [k, child] of Object.entries(item as JsonObject)) walk(child, [...p, `f:${k}`], k);
      }
    } else {
      out.add(enc(path));
    }
  };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'metadata') {
      for (const [mk, mv] of Object.entries(obj.metadata)) {
        if (!UNOWNED_META.has(mk)) walk(mv as Json, ['f:metadata', `f:${mk}`], mk);
      }
    } else if (k === 'status' ? opts.status : !UNOWNED_TOP.has(k)) {
      walk(v as Json, [`f:${k}`], k);
    }
  }
  return out;
}

/** Value at a path, or undefined. */
function valueAt(obj: Json, path: FieldPath, parentField = ''): Json | undefined {
  let cur: Json | undefined = obj;
  let field = parentField;
  for (const el of path) {
    if (el === '.') return cur;
    if (cur === undefined || cur === null) return undefined;
    if (el.startsWith('f:')) {
      field = el.slice(2);
      cur = isObject(cur) ? cur[field] : undefined;
    } else if (el.startsWith('k:') && Array.isArray(cur)) {
      const f = field;
      cur = cur.find((i) => itemKey(f, i) === el);
    } else {
      return undefined;
    }
  }
  return cur;
}

function removeAt(obj: Json, path: FieldPath): void {
  let cur: Json | undefined = obj;
  let field = '';
  for (let i = 0; i < path.length; i++) {
    const el = path[i];
    const last = i === path.length - 1 || path[i + 1] === '.';
    if (cur === undefined || cur === null) return;
    if (el.startsWith('f:')) {
      field = el.slice(2);
      if (!isObject(cur)) return;
      if (last) {
        delete cur[field];
        return;
      }
      cur = cur[field];
    } else if (el.startsWith('k:') && Array.isArray(cur)) {
      const f = field;
      const idx = cur.findIndex((it) => itemKey(f, it) === el);
      if (idx < 0) return;
      if (last) {
        cur.splice(idx, 1);
        return;
      }
      cur = cur[idx];
    }
  }
}

/** Merges an applied configuration into the live object (associative lists by key). */
function mergeApplied(live: Json | undefined, applied: Json, field = ''): Json {
  if (isObject(applied)) {
    const out: JsonObject = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) out[k] = mergeApplied(out[k], v, k);
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live) && MERGE_KEYS[field] && applied.every((i) => itemKey(field, i))) {
    const out = [...live];
    for (const item of applied) {
      const idx = out.findIndex((l) => itemKey(field, l) === itemKey(field, item));
      if (idx >= 0) out[idx] = mergeApplied(out[idx], item, field);
      else out.push(structuredClone(item));
    }
    return out;
  }
  return structuredClone(applied);
}

export function toFieldsV1(set: Set<string>): Record<string, unknown> {
  const root: Record<string, Record<string, unknown>> = {};
  for (const s of [...set].sort()) {
    let cur = root as Record<string, unknown>;
    for (const el of dec(s)) {
      cur[el] ??= {};
      cur = cur[el] as Record<string, unknown>;
    }
  }
  return root;
}

export function fromFieldsV1(v: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const walk = (node: Record<string, unknown>, path: FieldPath): void => {
    const keys = Object.keys(node);
    if (keys.length === 0 && path.length) out.add(enc(path));
    for (const k of keys) walk(node[k] as Record<string, unknown>, [...path, k]);
  };
  walk(v, []);
  return out;
}

const displayPath = (p: string): string =>
  dec(p)
    .filter((e) => e !== '.')
    .map((e) =>
      e.startsWith('f:')
        ? `.${e.slice(2)}`
        : `[${Object.entries(JSON.parse(e.slice(2)) as Record<string, unknown>)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(',')}]`,
    )
    .join('');

const printManager = (e: ManagedFieldsEntry): string =>
  e.operation === 'Apply' ? JSON.stringify(e.manager) : `${JSON.stringify(e.manager)} using ${e.apiVersion}`;

function conflictError(conflicts: { entry: ManagedFieldsEntry; path: string }[]): StatusError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.entry)}`,
    field: displayPath(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].entry)}: ${displayPath(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const m = printManager(c.entry);
      byManager.set(m, [...(byManager.get(m) ?? []), displayPath(c.path)]);
    }
    const lines: string[] = [];
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${m}:`);
      for (const p of byManager.get(m)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

interface Owner {
  entry: ManagedFieldsEntry;
  set: Set<string>;
}

function owners(obj: KubeObject | undefined): Owner[] {
  return (obj?.metadata.managedFields ?? []).map((entry) => ({ entry, set: fromFieldsV1(entry.fieldsV1) }));
}

function writeOwners(obj: KubeObject, list: Owner[]): void {
  const entries = list.filter((o) => o.set.size > 0).map((o) => ({ ...o.entry, fieldsV1: toFieldsV1(o.set) }));
  if (entries.length) obj.metadata.managedFields = entries;
  else delete obj.metadata.managedFields;
}

const sameOwner = (e: ManagedFieldsEntry, manager: string, operation: string, subresource?: string): boolean =>
  e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');

/**
 * Server-side apply of `applied` by `manager` onto `live` (undefined: create).
 * Throws 409 with the real message on conflicts unless `force`.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  manager: string,
  apiVersion: string,
  force: boolean,
  subresource?: string,
): KubeObject {
  const status = subresource === 'status';
  // An apply to /status owns only status fields; one to the object, everything but status.
  const newSet = new Set([...fieldSet(applied, { status })].filter((p) => p.startsWith('f:status') === status));
  const all = owners(live);
  const mine = all.find((o) => sameOwner(o.entry, manager, 'Apply', subresource));
  const others = all.filter((o) => o !== mine);
  const conflicts: { entry: ManagedFieldsEntry; path: string }[] = [];
  for (const p of newSet) {
    const path = dec(p);
    for (const o of others) {
      if (!o.set.has(p)) continue;
      // A list item's own entry ('.') is about its presence, which applying it does not change.
      if (path[path.length - 1] === '.' && live && valueAt(live as unknown as Json, path) !== undefined) continue;
      const liveValue = live ? valueAt(live as unknown as Json, path) : undefined;
      const appliedValue = valueAt(applied as unknown as Json, path);
      if (JSON.stringify(liveValue) === JSON.stringify(appliedValue)) continue;
      if (force) o.set.delete(p);
      else conflicts.push({ entry: o.entry, path: p });
    }
  }
  if (conflicts.length) throw conflictError(conflicts);

  const base = structuredClone(live ?? ({ metadata: applied.metadata } as KubeObject));
  const { metadata: appliedMeta, ...appliedRest } = applied;
  const merged = mergeApplied(base as unknown as Json, appliedRest as unknown as Json) as unknown as KubeObject;
  const { managedFields: _mf, ...metaRest } = appliedMeta;
  merged.metadata = mergeApplied(
    base.metadata as unknown as Json,
    metaRest as unknown as Json,
  ) as unknown as KubeObject['metadata'];

  // Fields this manager applied before and no longer applies go, unless someone else owns them.
  for (const p of mine?.set ?? []) {
    if (newSet.has(p) || others.some((o) => o.set.has(p))) continue;
    removeAt(
      merged as unknown as Json,
      dec(p).filter((e) => e !== '.'),
    );
  }
  // A re-apply of the same field set keeps its timestamp, so a no-op apply stays a no-op (as on the real server).
  const sameSet = mine !== undefined && mine.set.size === newSet.size && [...newSet].every((p) => mine.set.has(p));
  const entry: ManagedFieldsEntry = {
    manager,
    operation: 'Apply',
    apiVersion,
    time: sameSet && mine.entry.time ? mine.entry.time : now(),
    fieldsType: 'FieldsV1',
    fieldsV1: {},
    ...(subresource ? { subresource } : {}),
  };
  writeOwners(merged, [...others, { entry, set: newSet }]);
  return merged;
}

/** Records an Update (PUT/PATCH) by `manager`: it takes the fields it changed from everyone else. */
export function recordUpdate(
  old: KubeObject | undefined,
  next: KubeObject,
  manager: string,
  apiVersion: string,
  subresource?: string,
): void {
  const status = subresource === 'status';
  const oldSet = old ? fieldSet(old, { status }) : new Set<string>();
  const newSet = fieldSet(next, { status });
  const changed = new Set<string>();
  for (const p of newSet) {
    if (
      !oldSet.has(p) ||
      (dec(p).at(-1) !== '.' &&
        JSON.stringify(valueAt(old as unknown as Json, dec(p))) !==
          JSON.stringify(valueAt(next as unknown as Json, dec(p))))
    ) {
      changed.add(p);
    }
  }
  const all = owners(old);
  for (const o of all) {
    for (const p of [...o.set])
      if (!newSet.has(p) || (changed.has(p) && !sameOwner(o.entry, manager, 'Update', subresource))) o.set.delete(p);
  }
  if (changed.size) {
    let mine = all.find((o) => sameOwner(o.entry, manager, 'Update', subresource));
    if (!mine) {
      mine = {
        entry: {
          manager,
          operation: 'Update',
          apiVersion,
          time: now(),
          fieldsType: 'FieldsV1',
          fieldsV1: {},
          ...(subresource ? { subresource } : {}),
        },
        set: new Set(),
      };
      all.push(mine);
    }
    mine.entry = { ...mine.entry, time: now() };
    for (const p of changed) mine.set.add(p);
  }
  writeOwners(next, all);
}
