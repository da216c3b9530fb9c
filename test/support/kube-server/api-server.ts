// The request handler of the test API server: authentication, routing from
// the resource registry, and the verbs (get/list/watch/create/update/patch/
// delete) with kube-apiserver's semantics and Status bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import * as discovery from './discovery.js';
import { toTable } from './tables.js';
import { applyDefaults, prepareForCreate } from './defaults.js';
import { serveWatch } from './watch.js';
import { parseBody, readBody, sendJson, sendStatus, sendText } from './http.js';
import { recordUpdate, serverSideApply } from './managed-fields.js';
import { jsonPatch, mergePatch, strategicMergePatch, type Json } from './patch.js';
import { apiVersionOf, lookupResource, RESOURCES, type ResourceType } from './registry.js';
import { fieldMatcher, labelMatcher, selectableFields } from './selectors.js';
import {
  alreadyExists,
  badRequest,
  forbidden,
  invalidObject,
  methodNotAllowed,
  notFound,
  required,
  staleResourceVersion,
  StatusError,
  unauthorized,
  unsupportedMediaType,
} from './status.js';
import { now, ObjectStore } from './store.js';
import type { KubeObject } from './types.js';
import { validate } from './validation.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** Answer 403 for a verb on a resource (optionally one name / namespace), as RBAC would. */
export interface ForbidRule {
  verb: Verb | '*';
  resource: string; // plural, e.g. 'nodes'
  name?: string;
  namespace?: string;
}

export interface ApiServerOptions {
  /** `/version` gitVersion; kubectl's dispatcher picks its version from it. Default v1.31.4. */
  gitVersion?: string;
  /** Require `Authorization: Bearer <token>`; 401 otherwise. */
  token?: string;
  /** The user name RBAC messages name. Default `kubernetes-admin`. */
  user?: string;
  forbid?: ForbidRule[];
  /** How long a deleted namespace stays Terminating before it and its objects go. Default 50 ms. */
  namespaceDeletionDelayMs?: number;
}

interface Route {
  r: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
const randomSuffix = (): string =>
  Array.from({ length: 5 }, () => NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)]).join('');

const listKind = (r: ResourceType): string => `${r.kind}List`;

const APPLY = 'application/apply-patch+yaml';

export class ApiServer {
  readonly store = new ObjectStore();
  readonly forbid: ForbidRule[];
  /** Pod logs served by `/pods/<name>/log`, by `namespace/name`. */
  readonly podLogs = new Map<string, string>();
  gitVersion: string;
  address = '';
  private readonly openWatches = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: ApiServerOptions = {}) {
    this.gitVersion = opts.gitVersion ?? 'v1.31.4';
    this.forbid = [...(opts.forbid ?? [])];
    const ns = this.resource('', 'v1', 'namespaces');
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.store.create(ns, {
        metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    }
  }

  resource(group: string, version: string, plural: string): ResourceType {
    const r = lookupResource(group, version, plural);
    if (!r) throw new Error(`no resource ${group}/${version}/${plural}`);
    return r;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    for (const w of this.openWatches) w.end();
  }

  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  readonly handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      await this.dispatch(req, res);
    } catch (e) {
      if (e instanceof StatusError) sendStatus(res, e);
      else {
        const err = new StatusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`);
        sendStatus(res, err);
      }
    }
  };

  private authenticate(req: IncomingMessage): string {
    if (this.opts.token) {
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${this.opts.token}`) throw unauthorized();
    }
    return this.opts.user ?? 'kubernetes-admin';
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    // system:public-info-viewer: readable without credentials, as on a default cluster.
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return sendText(res, 200, 'ok');
    if (path === '/version') return sendJson(res, 200, discovery.versionInfo(this.gitVersion));
    const user = this.authenticate(req);

    // Aggregated discovery is not served: plain APIGroupList/APIVersions (Content-Type
    // application/json) tell kubectl and client-go to fall back to per-group discovery.
    if (path === '/api') return sendJson(res, 200, discovery.coreVersions(this.address));
    if (path === '/apis') return sendJson(res, 200, discovery.groupList());
    if (path === '/openapi/v3') return sendJson(res, 200, discovery.openApiV3Root());
    if (path.startsWith('/openapi/v3/')) {
      const doc = discovery.openApiV3GroupVersion(path.slice('/openapi/v3/'.length));
      if (!doc) throw notFoundPath();
      return sendJson(res, 200, doc);
    }
    // No OpenAPI v2: clients that prefer v3 (kubectl >= 1.27) do not ask for it.
    if (path.startsWith('/openapi/')) throw notFoundPath();

    const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (seg[0] === 'api' && seg.length >= 2) {
      [group, version, rest] = ['', seg[1], seg.slice(2)];
    } else if (seg[0] === 'apis' && seg.length >= 2) {
      if (seg.length === 2) {
        const g = discovery.group(seg[1]);
        if (!g) throw notFoundPath();
        return sendJson(res, 200, g);
      }
      [group, version, rest] = [seg[1], seg[2], seg.slice(3)];
    } else {
      throw notFoundPath();
    }
    if (rest.length === 0) {
      const list = discovery.resourceList(group, version);
      if (!list) throw notFoundPath();
      return sendJson(res, 200, list);
    }
    const route = this.route(group, version, rest);
    const verb = this.verbOf(method, route, url);
    this.authorize(user, verb, route);
    switch (verb) {
      case 'get':
        if (route.subresource === 'log') return this.log(res, route);
        if (req.headers.accept?.includes('as=Table')) {
          const obj = this.get(route);
          const include = url.searchParams.get('includeObject') ?? 'PartialObjectMetadata';
          return sendJson(res, 200, toTable(route.r, [obj], obj.metadata.resourceVersion ?? '', include));
        }
        return sendJson(res, 200, this.get(route));
      case 'list':
        return this.list(req, res, route, url);
      case 'watch':
        return this.watch(req, res, route, url);
      case 'create':
        return this.create(req, res, route, url);
      case 'update':
        return this.update(req, res, route, url);
      case 'patch':
        return this.patch(req, res, route, url);
      case 'delete':
        return this.delete(req, res, route, url);
      case 'deletecollection':
        return this.deleteCollection(res, route, url);
    }
  }

  private route(group: string, version: string, rest: string[]): Route {
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && lookupResource(group, version, rest[2])) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const r = lookupResource(group, version, rest[0]);
    if (!r || rest.length > 3) throw notFoundPath();
    const [, name, subresource] = rest;
    if (namespace !== undefined && !r.namespaced) throw notFoundPath();
    if (subresource && !r.subresources?.includes(subresource)) throw notFoundPath();
    if (name !== undefined && r.namespaced && namespace === undefined) throw notFoundPath();
    return { r, namespace, name, subresource };
  }

  private verbOf(method: string, route: Route, url: URL): Verb {
    const watch = url.searchParams.get('watch');
    const named = route.name !== undefined;
    switch (method) {
      case 'GET':
        if (watch === 'true' || watch === '1') return 'watch';
        return named ? 'get' : 'list';
      case 'POST':
        if (named) throw methodNotAllowed();
        return 'create';
      case 'PUT':
        if (!named) throw methodNotAllowed();
        return 'update';
      case 'PATCH':
        if (!named) throw methodNotAllowed();
        return 'patch';
      case 'DELETE':
        return named ? 'delete' : 'deletecollection';
      default:
        throw methodNotAllowed();
    }
  }

  private authorize(user: string, verb: Verb, route: Route): void {
    const hit = this.forbid.find(
      (f) =>
        (f.verb === '*' || f.verb === verb) &&
        f.resource === route.r.plural &&
        (f.name === undefined || f.name === route.name) &&
        (f.namespace === undefined || f.namespace === route.namespace),
    );
    if (hit) throw forbidden(route.r, verb, user, route.name, route.namespace);
  }

  // ---- reads ----

  private get({ r, namespace, name }: Route): KubeObject {
    const obj = this.store.get(r, namespace, name!);
    if (!obj) throw notFound(r, name!);
    return obj;
  }

  private log(res: ServerResponse, route: Route): void {
    this.get(route);
    sendText(res, 200, this.podLogs.get(`${route.namespace}/${route.name}`) ?? '');
  }

  private filter(route: Route, url: URL): (o: KubeObject) => boolean {
    const labels = labelMatcher(url.searchParams.get('labelSelector') ?? undefined);
    const fields = fieldMatcher(url.searchParams.get('fieldSelector') ?? undefined, route.r.kind);
    return (o) =>
      (route.namespace === undefined || o.metadata.namespace === route.namespace) &&
      labels(o.metadata.labels ?? {}) &&
      fields(selectableFields(o));
  }

  private list(req: IncomingMessage, res: ServerResponse, route: Route, url: URL): void {
    const { r } = route;
    const keep = this.filter(route, url);
    let items = this.store.list(r, route.namespace).filter(keep);
    items.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const metadata: Record<string, unknown> = { resourceVersion: String(this.store.resourceVersion) };
    const cont = url.searchParams.get('continue');
    if (cont) {
      const after = Buffer.from(cont, 'base64url').toString('utf8');
      items = items.filter((o) => keyOf(o) > after);
    }
    const limit = Number(url.searchParams.get('limit') ?? 0);
    if (limit > 0 && items.length > limit) {
      metadata.remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
      metadata.continue = Buffer.from(keyOf(items[items.length - 1])).toString('base64url');
    }
    const accept = req.headers.accept ?? '';
    if (accept.includes('as=Table')) {
      const include = url.searchParams.get('includeObject') ?? 'PartialObjectMetadata';
      return sendJson(res, 200, toTable(r, items, metadata.resourceVersion as string, include));
    }
    sendJson(res, 200, {
      kind: listKind(r),
      apiVersion: apiVersionOf(r),
      metadata,
      items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
    });
  }

  private watch(req: IncomingMessage, res: ServerResponse, route: Route, url: URL): void {
    serveWatch(this.store, route.r, this.filter(route, url), url.searchParams, req, res, this.openWatches);
  }

  // ---- writes ----

  private async body(req: IncomingMessage): Promise<unknown> {
    return parseBody(await readBody(req), req.headers['content-type'] ?? 'application/json');
  }

  private dryRun(url: URL): boolean {
    const d = url.searchParams.getAll('dryRun');
    if (d.some((v) => v !== 'All')) throw badRequest(`Invalid dry run value: ${d.join(',')}`);
    return d.length > 0;
  }

  private fieldManager(req: IncomingMessage, url: URL): string {
    const m = url.searchParams.get('fieldManager');
    if (m) return m;
    return (req.headers['user-agent'] ?? 'unknown').split('/')[0];
  }

  private checkNamespace(r: ResourceType, namespace: string | undefined): void {
    if (!r.namespaced) return;
    const nsType = this.resource('', 'v1', 'namespaces');
    const ns = this.store.get(nsType, undefined, namespace!);
    if (!ns) throw notFound(nsType, namespace!);
    if (ns.metadata.deletionTimestamp) {
      throw new StatusError(
        403,
        'Forbidden',
        `${r.group ? `${r.plural}.${r.group}` : r.plural} "" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name: '',
          ...(r.group ? { group: r.group } : {}),
          kind: r.plural,
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  private asObject(r: ResourceType, body: unknown, route: Route): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest(`Object '${r.kind}' is invalid: the request body must be an object`);
    }
    const obj = body as KubeObject;
    if (obj.kind !== undefined && obj.kind !== r.kind) {
      throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${r.kind})`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(r)) {
      throw badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersionOf(r)})`,
      );
    }
    obj.metadata ??= { name: '' };
    if (r.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== route.namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = route.namespace;
    }
    return obj;
  }

  private async create(req: IncomingMessage, res: ServerResponse, route: Route, url: URL): Promise<void> {
    const { r } = route;
    if (route.namespace === undefined && r.namespaced) throw methodNotAllowed();
    const obj = this.asObject(r, await this.body(req), route);
    const dry = this.dryRun(url);
    this.checkNamespace(r, route.namespace);
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + randomSuffix();
    delete obj.metadata.resourceVersion;
    delete obj.metadata.managedFields;
    prepareForCreate(r, obj);
    applyDefaults(r, obj);
    this.admit(r, obj);
    validate(r, obj);
    if (this.store.get(r, route.namespace, obj.metadata.name)) throw alreadyExists(r, obj.metadata.name);
    recordUpdate(undefined, obj, this.fieldManager(req, url), apiVersionOf(r));
    sendJson(res, 201, dry ? this.dryCreated(r, obj) : this.store.create(r, obj));
  }

  /** The DefaultStorageClass admission plugin: claims without a class get the default one. */
  private admit(r: ResourceType, obj: KubeObject): void {
    if (r.kind !== 'PersistentVolumeClaim') return;
    const spec = (obj.spec ??= {}) as { storageClassName?: string };
    if (spec.storageClassName !== undefined) return;
    const def = this.store
      .list(this.resource('storage.k8s.io', 'v1', 'storageclasses'))
      .find((sc) => sc.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true');
    if (def) spec.storageClassName = def.metadata.name;
  }

  private dryCreated(r: ResourceType, obj: KubeObject): KubeObject {
    const out = structuredClone(obj);
    out.apiVersion = apiVersionOf(r);
    out.kind = r.kind;
    out.metadata.uid = randomUUID();
    out.metadata.creationTimestamp = now();
    if (r.generation) out.metadata.generation = 1;
    return out;
  }

  private async update(req: IncomingMessage, res: ServerResponse, route: Route, url: URL): Promise<void> {
    const { r } = route;
    const obj = this.asObject(r, await this.body(req), route);
    const dry = this.dryRun(url);
    if (obj.metadata.name !== route.name) {
      throw badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${route.name})`,
      );
    }
    const old = this.get(route);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
      throw staleResourceVersion(r, route.name!);
    }
    const next = this.combine(r, old, obj, route.subresource);
    sendJson(res, 200, this.commitUpdate(r, old, next, this.fieldManager(req, url), route.subresource, dry));
  }

  /** The main resource ignores status; the status subresource takes only status. */
  private combine(r: ResourceType, old: KubeObject, incoming: KubeObject, subresource?: string): KubeObject {
    if (subresource === 'status') return { ...structuredClone(old), status: incoming.status };
    const next = structuredClone(incoming);
    if (r.subresources?.includes('status') && r.kind !== 'Namespace') {
      if (old.status === undefined) delete next.status;
      else next.status = structuredClone(old.status);
    }
    next.metadata.managedFields ??= old.metadata.managedFields;
    return next;
  }

  private commitUpdate(
    r: ResourceType,
    old: KubeObject,
    next: KubeObject,
    manager: string | undefined,
    subresource: string | undefined,
    dry: boolean,
  ): KubeObject {
    next.metadata.uid = old.metadata.uid;
    next.metadata.creationTimestamp = old.metadata.creationTimestamp;
    next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    if (!next.metadata.deletionTimestamp) delete next.metadata.deletionTimestamp;
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    applyDefaults(r, next);
    validate(r, next);
    if (manager !== undefined) recordUpdate(old, next, manager, apiVersionOf(r), subresource);
    if (dry) return { ...next, apiVersion: apiVersionOf(r), kind: r.kind };
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) {
      return this.store.delete(r, next.metadata.namespace, next.metadata.name) ?? next;
    }
    return this.store.update(r, next);
  }

  private async patch(req: IncomingMessage, res: ServerResponse, route: Route, url: URL): Promise<void> {
    const { r } = route;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    const dry = this.dryRun(url);
    const text = await readBody(req);
    if (contentType === APPLY) return this.apply(res, route, url, text, dry);
    const old = this.get(route);
    const patch = parseBody(text, contentType) as Json;
    let patched: Json;
    const current = structuredClone(old) as unknown as Json;
    switch (contentType) {
      case 'application/json-patch+json':
        patched = jsonPatch(current, patch);
        break;
      case 'application/merge-patch+json':
        patched = mergePatch(current, patch);
        break;
      case 'application/strategic-merge-patch+json':
        patched = strategicMergePatch(current, patch);
        break;
      default:
        throw unsupportedMediaType(contentType);
    }
    const obj = patched as unknown as KubeObject;
    if (obj.metadata?.name !== old.metadata.name)
      throw badRequest('metadata.name: Invalid value: the name of a patched object cannot change');
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== old.metadata.resourceVersion) {
      throw staleResourceVersion(r, route.name!);
    }
    const next = this.combine(r, old, obj, route.subresource);
    sendJson(res, 200, this.commitUpdate(r, old, next, this.fieldManager(req, url), route.subresource, dry));
  }

  private apply(res: ServerResponse, route: Route, url: URL, text: string, dry: boolean): void {
    const { r } = route;
    const manager = url.searchParams.get('fieldManager');
    if (!manager) {
      throw invalidObject('meta.k8s.io', 'PatchOptions', '', [required('fieldManager', 'is required for apply patch')]);
    }
    const force = url.searchParams.get('force') === 'true';
    const applied = this.asObject(r, parseBody(text, APPLY), route);
    if (!applied.apiVersion || !applied.kind) {
      throw badRequest(`error decoding YAML: Object 'Kind' is missing in '${text.slice(0, 200)}'`);
    }
    if (applied.metadata.name !== route.name) {
      throw badRequest(
        `the name of the object (${applied.metadata.name}) does not match the name on the URL (${route.name})`,
      );
    }
    const old = this.store.get(r, route.namespace, route.name!);
    const merged = serverSideApply(old, applied, manager, apiVersionOf(r), force, route.subresource);
    if (!old) {
      if (route.subresource) throw notFound(r, route.name!);
      this.checkNamespace(r, route.namespace);
      delete merged.metadata.resourceVersion;
      prepareForCreate(r, merged);
      applyDefaults(r, merged);
      this.admit(r, merged);
      validate(r, merged);
      return sendJson(res, 201, dry ? this.dryCreated(r, merged) : this.store.create(r, merged));
    }
    if (applied.metadata.resourceVersion && applied.metadata.resourceVersion !== old.metadata.resourceVersion) {
      throw staleResourceVersion(r, route.name!);
    }
    const next = this.combine(r, old, merged, route.subresource);
    next.metadata.managedFields = merged.metadata.managedFields;
    sendJson(res, 200, this.commitUpdate(r, old, next, undefined, route.subresource, dry));
  }

  private async delete(req: IncomingMessage, res: ServerResponse, route: Route, url: URL): Promise<void> {
    const { r } = route;
    const dry = this.dryRun(url);
    await readBody(req); // DeleteOptions: propagationPolicy etc. are accepted; deletion is immediate.
    const old = this.get(route);
    if (dry) return sendJson(res, 200, old);
    sendJson(res, 200, this.deleteObject(r, old));
  }

  /** Deletes like the real server: namespaces and objects with finalizers go Terminating first. */
  deleteObject(r: ResourceType, old: KubeObject): unknown {
    const { namespace, name } = old.metadata;
    if (r.kind === 'Namespace') {
      if (old.metadata.deletionTimestamp) return old;
      const terminating = structuredClone(old);
      terminating.metadata.deletionTimestamp = now();
      terminating.status = { phase: 'Terminating' };
      const stored = this.store.update(r, terminating);
      this.later(this.opts.namespaceDeletionDelayMs ?? 50, () => this.finishNamespace(name));
      return stored;
    }
    if (old.metadata.finalizers?.length) {
      if (old.metadata.deletionTimestamp) return old;
      const marked = structuredClone(old);
      marked.metadata.deletionTimestamp = now();
      return this.store.update(r, marked);
    }
    const gone = this.store.delete(r, namespace, name);
    if (r.kind === 'Pod') return gone;
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, ...(r.group ? { group: r.group } : {}), kind: r.plural, uid: old.metadata.uid },
    };
  }

  private finishNamespace(name: string): void {
    for (const r of RESOURCES) {
      if (!r.namespaced) continue;
      for (const o of this.store.list(r, name)) this.store.delete(r, name, o.metadata.name);
    }
    this.store.delete(this.resource('', 'v1', 'namespaces'), undefined, name);
  }

  private deleteCollection(res: ServerResponse, route: Route, url: URL): void {
    const { r } = route;
    const dry = this.dryRun(url);
    const keep = this.filter(route, url);
    const items = this.store.list(r, route.namespace).filter(keep);
    if (!dry) for (const o of items) this.deleteObject(r, o);
    sendJson(res, 200, {
      kind: listKind(r),
      apiVersion: apiVersionOf(r),
      metadata: { resourceVersion: String(this.store.resourceVersion) },
      items,
    });
  }
}

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

const notFoundPath = (): StatusError =>
  new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
