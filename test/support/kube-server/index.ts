// startKubeServer: an in-memory Kubernetes API server on 127.0.0.1 for tests,
// with a kubeconfig pointing at it, direct store access for setup and
// assertions, and switchable controllers that stand in for kubelet, the
// cloud-controller-manager and the CSI driver.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  Agent,
  Headers as UndiciHeaders,
  fetch as undiciFetch,
  type RequestInit as UndiciRequestInit,
  type Response as UndiciResponse,
} from 'undici';
import { ApiServer, type ApiServerOptions, type ForbidRule } from './api-server.js';
import { Controllers, type ControllerOptions } from './controllers/index.js';
import { writeKubeconfig } from './kubeconfig.js';
import { serverTls } from './tls.js';
import { nodeObject, type AddNodesOptions } from './nodes.js';
import { apiVersionOf, RESOURCES, type ResourceType } from './registry.js';
import type { KubeObject } from './types.js';

export type { AddNodesOptions, Taint } from './nodes.js';
export type { ForbidRule } from './api-server.js';
export type { KubeObject } from './types.js';
export type { ControllerOptions } from './controllers/index.js';

export interface StartKubeServerOptions extends ApiServerOptions {
  /** Port on 127.0.0.1; default 0 (a free one). */
  port?: number;
  /** Nodes to register at start (see addNodes). */
  nodes?: number;
  nodeOptions?: AddNodesOptions;
  controllers?: ControllerOptions;
  /**
   * HTTPS with a throwaway CA written into the kubeconfig (certificate-authority-data), as a real
   * cluster is reached. Default false: plain HTTP, and the kubeconfig says insecure-skip-tls-verify.
   * Needed for bearer tokens with kubectl: client-go sends credentials only over TLS.
   */
  tls?: boolean;
  /** Directory for the kubeconfig; default a new temp dir. */
  kubeconfigDir?: string;
}

/** Direct access to the objects, bypassing HTTP (no auth, no validation, no RBAC). */
export interface KubeStore {
  /** `kind` is `Node`, `DaemonSet`, … or `apiVersion/Kind` (`events.k8s.io/v1/Event`) when ambiguous. */
  get(kind: string, name: string, namespace?: string): KubeObject | undefined;
  list(kind: string, namespace?: string): KubeObject[];
  /** Creates or replaces (by name) an object; apiVersion and kind come from the object. */
  put(obj: KubeObject): KubeObject;
  delete(kind: string, name: string, namespace?: string): boolean;
  /** The current global resourceVersion. */
  readonly resourceVersion: number;
}

export interface KubeServer {
  /** `http://127.0.0.1:<port>`, or https:// with `tls: true`. */
  url: string;
  /** PEM of the CA that signed the server certificate (with `tls: true`). */
  caPem?: string;
  kubeconfigPath: string;
  store: KubeStore;
  controllers: Controllers;
  /** RBAC denials, editable at any time. */
  forbid: ForbidRule[];
  /**
   * fetch() against the server trusting its CA, with the token when one is required:
   * `await server.fetch('/api/v1/nodes')`. Pass `headers.Authorization` to override.
   */
  fetch(path: string, init?: UndiciRequestInit): Promise<UndiciResponse>;
  /** Text served by `GET /api/v1/namespaces/<ns>/pods/<name>/log`. */
  setPodLog(namespace: string, name: string, text: string): void;
  /** Registers n Ready nodes; returns them. */
  addNodes(count: number, opts?: AddNodesOptions): KubeObject[];
  /** The version /version reports (kubectl's dispatcher follows it). */
  setVersion(gitVersion: string): void;
  stop(): Promise<void>;
}

export function resourceFor(kind: string): ResourceType {
  const slash = kind.lastIndexOf('/');
  const r =
    slash > 0
      ? RESOURCES.find((x) => apiVersionOf(x) === kind.slice(0, slash) && x.kind === kind.slice(slash + 1))
      : RESOURCES.find((x) => x.kind === kind);
  if (!r) throw new Error(`kube test server: unknown kind ${kind}`);
  return r;
}

export async function startKubeServer(opts: StartKubeServerOptions = {}): Promise<KubeServer> {
  const api = new ApiServer(opts);
  const tls = opts.tls ? serverTls() : undefined;
  const handler = (req: IncomingMessage, res: ServerResponse): void => void api.handle(req, res);
  const http: Server = tls
    ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handler)
    : createHttpServer(handler);
  http.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  api.address = `127.0.0.1:${port}`;
  const kubeconfigPath = writeKubeconfig(
    url,
    // Over TLS, kubectl prompts for a user name when the kubeconfig user has no credentials.
    opts.token ?? (tls ? 'kube-test-anonymous' : undefined),
    tls?.caPem,
    opts.kubeconfigDir,
  );

  const store: KubeStore = {
    get: (kind, name, namespace) => api.store.get(resourceFor(kind), namespace, name),
    list: (kind, namespace) => api.store.list(resourceFor(kind), namespace),
    put: (obj) => {
      const r = resourceFor(`${obj.apiVersion}/${obj.kind}`);
      const existing = api.store.get(r, obj.metadata.namespace, obj.metadata.name);
      return existing ? api.store.update(r, obj) : api.store.create(r, obj);
    },
    delete: (kind, name, namespace) => api.store.delete(resourceFor(kind), namespace, name) !== undefined,
    get resourceVersion() {
      return api.store.resourceVersion;
    },
  };

  const controllers = new Controllers(api, opts.controllers);
  let nodeCount = 0;
  const addNodes = (count: number, o: AddNodesOptions = {}): KubeObject[] => {
    const nodes = api.resource('', 'v1', 'nodes');
    const created: KubeObject[] = [];
    const start = o.start ?? nodeCount + 1;
    for (let i = 0; i < count; i++) {
      const name = `${o.namePrefix ?? 'k8s-node-'}${String(start + i).padStart(4, '0')}`;
      const given = Array.isArray(o.uuids) ? o.uuids[i] : o.uuids?.[name];
      const uuid = given ?? randomUUID();
      if (given) controllers.ccm.uuids.set(name, given);
      const node = nodeObject(
        name,
        start + i,
        { kubeletVersion: api.gitVersion, ...o },
        i < (o.controlPlane ?? 0),
        uuid,
      );
      created.push(api.store.create(nodes, node));
    }
    nodeCount = Math.max(nodeCount, start + count - 1);
    return created;
  };
  if (opts.nodes) addNodes(opts.nodes, opts.nodeOptions);

  const agent = new Agent({ connect: tls ? { ca: tls.caPem } : {} });
  const fetchApi = (path: string, init: UndiciRequestInit = {}): Promise<UndiciResponse> => {
    const headers = new UndiciHeaders(init.headers);
    if (opts.token && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${opts.token}`);
    return undiciFetch(url + path, { ...init, headers, dispatcher: agent });
  };

  let stopped = false;
  return {
    url,
    caPem: tls?.caPem,
    fetch: fetchApi,
    kubeconfigPath,
    store,
    controllers,
    forbid: api.forbid,
    setPodLog: (namespace, name, text) => api.podLogs.set(`${namespace}/${name}`, text),
    addNodes,
    setVersion: (v) => {
      api.gitVersion = v;
    },
    // Idempotent: a test may stop the server itself and again in afterAll.
    stop: async () => {
      if (stopped) return;
      stopped = true;
      controllers.stop();
      agent.close().catch(() => undefined);
      api.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
