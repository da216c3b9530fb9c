// The three PATCH flavours kube-apiserver accepts besides apply: JSON patch
// (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch, whose
// list semantics come from the Go struct tags (patchStrategy/patchMergeKey).
import { badRequest, StatusError } from './status.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Lists merged by key in strategic merge patch, by field name. From the
 * k8s.io/api struct tags; lists not named here (tolerations, node taints,
 * args, command) are atomic and replaced whole.
 */
export const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  conditions: 'type',
  addresses: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};

/** Lists of scalars merged as sets (patchStrategy:"merge" without a key). */
const SET_LISTS = new Set(['finalizers']);

// ---- JSON merge patch ----

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

// ---- JSON patch ----

interface JsonPatchOp {
  op: string;
  path: string;
  value?: Json;
  from?: string;
}

const unescape = (s: string): string => s.replace(/~1/g, '/').replace(/~0/g, '~');

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`the server rejected our request due to an error in our request`);
  return path.slice(1).split('/').map(unescape);
}

function parentOf(doc: Json, parts: string[], path: string): Json {
  let cur: Json = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObject(cur)) cur = cur[p];
    else cur = undefined as unknown as Json;
    if (cur === undefined) throw jsonPatchError(`doc is missing path: "${path}"`);
  }
  return cur;
}

// kube-apiserver 1.36 answers a JSON patch that does not apply with its
// generic 422 and no details (read back from the box); the reason it names
// at each call site is not sent either.
const jsonPatchError = (_reason: string): StatusError =>
  new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});

function getAt(doc: Json, path: string): Json {
  let cur: Json = doc;
  for (const p of pointer(path)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObject(cur)) cur = cur[p];
    else cur = undefined as unknown as Json;
    if (cur === undefined) throw jsonPatchError(`doc is missing path: "${path}"`);
  }
  return cur;
}

function getOrNull(doc: Json, path: string): Json {
  try {
    return getAt(doc, path);
  } catch {
    return null;
  }
}

function removeAt(doc: Json, path: string): Json {
  const parts = pointer(path);
  const parent = parentOf(doc, parts, path);
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) {
    const i = Number(last);
    if (!(i >= 0 && i < parent.length))
      throw jsonPatchError(`Unable to remove nonexistent key: ${last}: missing value`);
    return parent.splice(i, 1)[0];
  }
  if (!isObject(parent) || !(last in parent))
    throw jsonPatchError(`Unable to remove nonexistent key: ${last}: missing value`);
  const old = parent[last];
  delete parent[last];
  return old;
}

function addAt(doc: Json, path: string, value: Json, replace: boolean): Json {
  const parts = pointer(path);
  if (parts.length === 0) return value;
  const parent = parentOf(doc, parts, path);
  const last = parts[parts.length - 1];
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!(i >= 0 && i <= parent.length))
      throw jsonPatchError(`add operation does not apply: doc is missing path: "${path}": missing value`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else if (isObject(parent)) {
    if (replace && !(last in parent))
      throw jsonPatchError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
    parent[last] = value;
  } else {
    throw jsonPatchError(`doc is missing path: "${path}": missing value`);
  }
  return doc;
}

export function jsonPatch(target: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(target);
  for (const raw of ops as JsonPatchOp[]) {
    switch (raw.op) {
      case 'add':
        doc = addAt(doc, raw.path, structuredClone(raw.value ?? null), false);
        break;
      case 'replace':
        doc = addAt(doc, raw.path, structuredClone(raw.value ?? null), true);
        break;
      case 'remove':
        removeAt(doc, raw.path);
        break;
      case 'move': {
        const v = removeAt(doc, raw.from ?? '');
        doc = addAt(doc, raw.path, v, false);
        break;
      }
      case 'copy':
        doc = addAt(doc, raw.path, structuredClone(getAt(doc, raw.from ?? '')), false);
        break;
      case 'test':
        // As json-patch v4 in the apiserver: a missing member tests equal to null.
        if (JSON.stringify(getOrNull(doc, raw.path)) !== JSON.stringify(raw.value ?? null)) {
          throw jsonPatchError(`testing value ${raw.path} failed: test failed`);
        }
        break;
      default:
        throw badRequest(`Unexpected kind: ${raw.op}`);
    }
  }
  return doc;
}

// ---- strategic merge patch ----

export function strategicMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const base: JsonObject = isObject(target) ? structuredClone(target) : {};
  if (patch.$patch === 'replace') {
    const rest = { ...patch };
    delete rest.$patch;
    return rest;
  }
  if (patch.$patch === 'delete') return null;
  const retainKeys = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = new Set((v as Json[]).map((x) => JSON.stringify(x)));
      const cur = base[field];
      if (Array.isArray(cur)) base[field] = cur.filter((x) => !drop.has(JSON.stringify(x)));
      continue;
    }
    if (v === null) {
      delete base[k];
    } else if (Array.isArray(v)) {
      base[k] = mergeList(k, base[k], v);
    } else if (isObject(v)) {
      const merged = strategicMergePatch(base[k] ?? null, v);
      if (merged === null) delete base[k];
      else base[k] = merged;
    } else {
      base[k] = v;
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith('$setElementOrder/')) continue;
    const field = k.slice('$setElementOrder/'.length);
    const cur = base[field];
    if (Array.isArray(cur) && Array.isArray(v)) base[field] = reorder(field, cur, v);
  }
  if (retainKeys) {
    for (const k of Object.keys(base)) if (!retainKeys.includes(k)) delete base[k];
  }
  return base;
}

function mergeList(field: string, current: Json | undefined, patch: Json[]): Json {
  const mergeKey = MERGE_KEYS[field];
  const replaceDirective = patch.find((p) => isObject(p) && p.$patch === 'replace');
  if (replaceDirective) return patch.filter((p) => p !== replaceDirective);
  const cur = Array.isArray(current) ? [...current] : [];
  if (SET_LISTS.has(field)) {
    const seen = new Set(cur.map((x) => JSON.stringify(x)));
    for (const p of patch) if (!seen.has(JSON.stringify(p))) cur.push(p);
    return cur;
  }
  if (!mergeKey) return patch.map((p) => structuredClone(p));
  for (const item of patch) {
    if (!isObject(item)) continue;
    const key = item[mergeKey];
    const idx = cur.findIndex((c) => isObject(c) && c[mergeKey] === key);
    if (item.$patch === 'delete') {
      if (idx >= 0) cur.splice(idx, 1);
      continue;
    }
    if (idx >= 0) cur[idx] = strategicMergePatch(cur[idx], item);
    else cur.push(strategicMergePatch(null, item));
  }
  return cur;
}

function reorder(field: string, list: Json[], order: Json[]): Json[] {
  const mergeKey = MERGE_KEYS[field];
  const keyOf = (x: Json): string => JSON.stringify(mergeKey && isObject(x) ? x[mergeKey] : x);
  const position = new Map(order.map((o, i) => [keyOf(o), i]));
  return [...list].sort((a, b) => (position.get(keyOf(a)) ?? 1e9) - (position.get(keyOf(b)) ?? 1e9));
}

export type { Json, JsonObject };
export { isObject };
