// The REST verbs of the kube API for any kind: get/list/create/replace/patch,
// server-side apply of one object, delete, watch, pod logs and the server
// version. apply.ts and wait.ts build on it; client.ts puts them together as
// the one KubeClient that steps get from ctx.kube().

import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../cli/logger.js';
import { isNotFound } from './errors.js';
import { ResourceMapper, refOf, type ObjectRef } from './resources.js';
import type { Query, Transport, WatchEvent } from './transport.js';

/** Patch flavours: RFC 7386 merge, Kubernetes strategic merge, RFC 6902 JSON patch. */
export type PatchType = 'merge' | 'strategic' | 'json';

const patchContentType: Record<PatchType | 'apply', string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface WriteOptions {
  /** Server-side dry run: validated and admitted, never persisted. */
  dryRun?: boolean;
  /** Defaults to "vk". */
  fieldManager?: string;
  signal?: AbortSignal;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  signal?: AbortSignal;
}

export interface ObjectList<T> {
  items: T[];
  /** The list's resourceVersion: watch from here to see every later change. */
  resourceVersion: string;
}

export interface ServerVersion {
  major: string;
  minor: string;
  gitVersion: string;
  platform?: string;
}

export const FIELD_MANAGER = 'vk';

export class KubeRest {
  readonly resources: ResourceMapper;
  #version?: Promise<ServerVersion>;

  constructor(
    readonly transport: Transport,
    readonly log: Logger,
    readonly signal: AbortSignal,
    /** Where the kubeconfig came from (file list or "in-cluster service account"). */
    readonly source: string,
  ) {
    this.resources = new ResourceMapper(transport);
  }

  get server(): string {
    return this.transport.server;
  }

  get context(): string {
    return this.transport.context;
  }

  /** GET /version, once per process. */
  version(): Promise<ServerVersion> {
    this.#version ??= this.transport.request<ServerVersion>('GET', '/version', { signal: this.signal });
    return this.#version;
  }

  async get<T extends KubernetesObject>(ref: ObjectRef, signal = this.signal): Promise<T> {
    return this.transport.request<T>('GET', await this.resources.objectPath(ref), { signal });
  }

  /** Like get(), but undefined when the object does not exist. */
  async find<T extends KubernetesObject>(ref: ObjectRef, signal = this.signal): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, signal);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Lists every page (limit/continue) of a kind. */
  async list<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    opts: ListOptions = {},
  ): Promise<ObjectList<T>> {
    const path = await this.resources.collectionPath(apiVersion, kind, opts.namespace);
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.transport.request<{
        items?: T[];
        metadata?: { resourceVersion?: string; continue?: string };
      }>('GET', path, {
        query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: 500, continue: cont },
        signal: opts.signal ?? this.signal,
      });
      for (const item of page.items ?? []) {
        // List items carry no apiVersion/kind; fill them in so they can be written back.
        items.push({ apiVersion, kind, ...item });
      }
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  async create<T extends KubernetesObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const ref = refOf(obj);
    const path = await this.resources.collectionPath(ref.apiVersion, ref.kind, ref.namespace);
    return this.transport.request<T>('POST', path, {
      body: obj,
      query: writeQuery(opts),
      signal: opts.signal ?? this.signal,
    });
  }

  /** PUT: replaces the object; metadata.resourceVersion makes it conditional (409 when stale). */
  async replace<T extends KubernetesObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.transport.request<T>('PUT', await this.resources.objectPath(refOf(obj)), {
      body: obj,
      query: writeQuery(opts),
      signal: opts.signal ?? this.signal,
    });
  }

  /**
   * PATCH with a merge, strategic-merge or JSON patch. Put metadata.resourceVersion
   * in a merge/strategic patch (or a `test` op in a JSON patch) to make it conditional.
   */
  async patch<T extends KubernetesObject>(
    ref: ObjectRef,
    patch: unknown,
    type: PatchType,
    opts: WriteOptions = {},
  ): Promise<T> {
    return this.transport.request<T>('PATCH', await this.resources.objectPath(ref), {
      body: patch,
      contentType: patchContentType[type],
      query: writeQuery(opts),
      signal: opts.signal ?? this.signal,
    });
  }

  /** Server-side apply of one object (fieldManager "vk"). */
  async serverSideApply<T extends KubernetesObject>(obj: T, opts: WriteOptions & { force?: boolean } = {}): Promise<T> {
    return this.transport.request<T>('PATCH', await this.resources.objectPath(refOf(obj)), {
      body: obj,
      contentType: patchContentType.apply,
      query: { ...writeQuery(opts), fieldManager: opts.fieldManager ?? FIELD_MANAGER, force: opts.force || undefined },
      signal: opts.signal ?? this.signal,
    });
  }

  /** DELETE; false when the object was already gone. */
  async delete(
    ref: ObjectRef,
    opts: { dryRun?: boolean; propagationPolicy?: 'Foreground' | 'Background' | 'Orphan'; signal?: AbortSignal } = {},
  ): Promise<boolean> {
    try {
      await this.transport.request('DELETE', await this.resources.objectPath(ref), {
        query: { dryRun: opts.dryRun ? 'All' : undefined, propagationPolicy: opts.propagationPolicy },
        signal: opts.signal ?? this.signal,
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** One watch stream of a kind; returns when the server closes it or the signal fires. */
  async watch<T extends KubernetesObject>(
    apiVersion: string,
    kind: string,
    opts: ListOptions & { resourceVersion?: string },
    onEvent: (e: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const path = await this.resources.collectionPath(apiVersion, kind, opts.namespace);
    const query: Query = {
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      resourceVersion: opts.resourceVersion,
      allowWatchBookmarks: true,
    };
    await this.transport.watch<T>(path, query, onEvent, signal);
  }

  /** The last `tailLines` lines of a pod's log (its first container unless `container`). */
  podLog(namespace: string, name: string, opts: { container?: string; tailLines?: number } = {}): Promise<string> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log`;
    return this.transport.requestText(path, {
      query: { container: opts.container, tailLines: opts.tailLines },
      signal: this.signal,
    });
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

function writeQuery(opts: WriteOptions): Query {
  return { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager ?? FIELD_MANAGER };
}
