// The object store: one map per resource type, one global resourceVersion
// counter bumped by every write, and a bounded history of watch events so a
// watch can resume from a recent resourceVersion (older ones get 410 Gone).
import { randomUUID } from 'node:crypto';
import { RESOURCES, resourceKey, apiVersionOf, type ResourceType } from './registry.js';
import type { KubeObject } from './types.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  resource: ResourceType;
  object: KubeObject;
  /** The object before a MODIFIED event, so selector-filtered watches can tell enter from leave. */
  old?: KubeObject;
  rv: number;
}

type Listener = (event: StoreEvent) => void;

const HISTORY = 20_000;

export class ObjectStore {
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private rv = 1;

  constructor() {
    for (const r of RESOURCES) this.tables.set(resourceKey(r), new Map());
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Oldest resourceVersion a watch can still resume from. */
  get oldestWatchable(): number {
    return this.history.length ? this.history[0].rv - 1 : this.rv;
  }

  private table(r: ResourceType): Map<string, KubeObject> {
    return this.tables.get(resourceKey(r))!;
  }

  static key(namespace: string | undefined, name: string): string {
    return `${namespace ?? ''}/${name}`;
  }

  get(r: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.table(r).get(ObjectStore.key(r.namespaced ? namespace : undefined, name));
  }

  list(r: ResourceType, namespace?: string): KubeObject[] {
    const all = [...this.table(r).values()];
    return namespace && r.namespaced ? all.filter((o) => o.metadata.namespace === namespace) : all;
  }

  /** Stores a new object: fills uid, creationTimestamp, resourceVersion. The caller has validated it. */
  create(r: ResourceType, obj: KubeObject): KubeObject {
    const stored = withType(r, structuredClone(obj));
    stored.metadata.uid ??= randomUUID();
    stored.metadata.creationTimestamp ??= now();
    if (r.generation) stored.metadata.generation = 1;
    if (!r.namespaced) delete stored.metadata.namespace;
    stored.metadata.resourceVersion = String(++this.rv);
    this.table(r).set(ObjectStore.key(stored.metadata.namespace, stored.metadata.name), stored);
    this.emit('ADDED', r, stored);
    return stored;
  }

  /** Replaces an existing object; bumps generation when its spec changed. */
  update(r: ResourceType, obj: KubeObject): KubeObject {
    const key = ObjectStore.key(r.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name);
    const old = this.table(r).get(key);
    if (!old) throw new Error(`update of missing ${r.plural} ${key}`);
    const stored = withType(r, structuredClone(obj));
    stored.metadata.uid = old.metadata.uid;
    stored.metadata.creationTimestamp = old.metadata.creationTimestamp;
    if (r.generation) {
      const changed = JSON.stringify(specOf(old)) !== JSON.stringify(specOf(stored));
      stored.metadata.generation = (old.metadata.generation ?? 1) + (changed ? 1 : 0);
    }
    if (
      JSON.stringify({ ...stored, metadata: { ...stored.metadata, resourceVersion: '' } }) ===
      JSON.stringify({ ...old, metadata: { ...old.metadata, resourceVersion: '' } })
    ) {
      return old; // a no-op write does not bump resourceVersion, as on the real server
    }
    stored.metadata.resourceVersion = String(++this.rv);
    this.table(r).set(key, stored);
    this.emit('MODIFIED', r, stored, old);
    return stored;
  }

  delete(r: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = ObjectStore.key(r.namespaced ? namespace : undefined, name);
    const old = this.table(r).get(key);
    if (!old) return undefined;
    this.table(r).delete(key);
    const gone = structuredClone(old);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit('DELETED', r, gone);
    return gone;
  }

  /** Events after `rv` still in history, or undefined when `rv` is too old. */
  since(rv: number): StoreEvent[] | undefined {
    if (rv < this.oldestWatchable) return undefined;
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid].rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(type: WatchEventType, resource: ResourceType, object: KubeObject, old?: KubeObject): void {
    const event: StoreEvent = { type, resource, object, old, rv: this.rv };
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    for (const l of [...this.listeners]) l(event);
  }
}

const specOf = (o: KubeObject): unknown => {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
};

export const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** kind and apiVersion first, as the real server serialises them. */
const withType = (r: ResourceType, o: KubeObject): KubeObject => {
  const { kind: _k, apiVersion: _a, ...rest } = o;
  return { kind: r.kind, apiVersion: apiVersionOf(r), ...rest } as KubeObject;
};
