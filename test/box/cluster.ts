// The box: a real Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler from one pinned release) with kwok
// playing the kubelets, beside the newest vcsim, all as local processes on
// 127.0.0.1. One per test suite:
//
//   const box = await startBox({ vcsim: { folder: '/DC0/vm/k8s', folderVms: 3 } });
//   afterAll(() => box.stop());
//   await runVk(['taint-nodes'], box.env);
//   const nodes = await box.getJson('/api/v1/nodes');
//
// Nodes register the way kubelet does with --cloud-provider=external: one per
// VM of the node folder, named after the VM, systemUUID = the VM's BIOS UUID,
// the uninitialized taint, the first one a control-plane node.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { Agent, request } from 'undici';
import { ensureBuilt, KUBE_BUILD, KWOK_BUILD, repoRoot } from './build.js';
import { collectionPath, objectPath } from './kinds.js';
import { issueClient, makePki, type ClientIdentity } from './pki.js';
import { Proc, waitFor } from './process.js';
import { startVcsim, type Vcsim, type VcsimOptions, type VcsimVm } from '../support/vcsim.js';
import { BUILT_VERSION, installRuntimeCrds, startRuntime, type PodRuntime } from './runtime.js';
import { runtimePodJq, unbuiltImageJq } from './pod-spec.js';

const execFileP = promisify(execFile);

export const UNINITIALIZED_TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';
export type Component = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok';

export interface BoxOptions {
  /** The vCenter side (default: one cluster of 3 hosts, a node folder /DC0/vm/k8s with 3 VMs). */
  vcsim?: VcsimOptions;
  /** Register a node for each VM under this folder (default: vcsim.folder, else none). */
  nodeFolder?: string | false;
  /** How many of the nodes are control-plane nodes (default 1). */
  controlPlaneNodes?: number;
  /** Leave the uninitialized taint off, as on a cluster without --cloud-provider=external. */
  withoutCloudProviderTaint?: boolean;
  /** Start without vcsim (Kubernetes only). */
  noVcsim?: boolean;
  /** Run the real driver binaries for the driver pods vk installs (test/box/runtime.ts). */
  drivers?: boolean;
}

export interface BoxNode {
  name: string;
  vm?: VcsimVm;
  controlPlane: boolean;
}

export interface Box {
  /** Admin kubeconfig (client certificate in group system:masters). */
  kubeconfig: string;
  apiServerUrl: string;
  /** The cluster CA, PEM. */
  caPem: string;
  /** Files of the PKI, for tests that stand a TLS proxy in front of the apiserver. */
  tls: { serverCert: string; serverKey: string; adminCert: string; adminKey: string };
  vcsim?: Vcsim;
  nodes: BoxNode[];
  /** vk's environment: vcsim's (GOVC_*, private HOME) plus KUBECONFIG. */
  env: NodeJS.ProcessEnv;
  dir: string;
  /** Runs the box's own kubectl with the admin kubeconfig (or `opts.kubeconfig`). */
  kubectl(args: string[], opts?: { input?: string; kubeconfig?: string }): Promise<string>;
  /** GET an API path as admin, parsed (API bodies are JSON the test narrows). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  getJson<T = any>(path: string): Promise<T>;
  /** Any request as admin; returns status and parsed body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  api(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>;
  /** A kubeconfig for a new client-certificate user (RBAC decides what it may do). */
  kubeconfigFor(user: string, groups?: string[]): Promise<string>;
  /** Register more nodes (as kubelets would). */
  addNodes(nodes: NodeSpec[]): Promise<void>;
  /** Deletes every node and registers these instead (a fresh start for one test). */
  setNodes(nodes: NodeSpec[]): Promise<void>;
  /** The specs of the node VMs' nodes as registered at start (for setNodes). */
  vmNodeSpecs: NodeSpec[];
  /** Objects by kind and name through the API as admin. */
  store: BoxStore;
  stopComponent(c: Component): Promise<void>;
  startComponent(c: Component): Promise<void>;
  /** The log of one component. */
  logOf(c: Component): string;
  /** The pod runtime, with `drivers: true`. */
  runtime?: PodRuntime;
  stop(): Promise<void>;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface BoxStore {
  get<T extends KubeObject = KubeObject>(kind: string, name: string, namespace?: string): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(kind: string, namespace?: string): Promise<T[]>;
  /** Creates, or replaces the whole object (spec and metadata; status through /status for nodes). */
  put(obj: KubeObject): Promise<KubeObject>;
  delete(kind: string, name: string, namespace?: string): Promise<boolean>;
}

export interface NodeSpec {
  name: string;
  systemUUID?: string;
  ip?: string;
  controlPlane?: boolean;
  taints?: { key: string; value?: string; effect: string }[];
  labels?: Record<string, string>;
}

/** An HTTP CONNECT proxy on 127.0.0.1 that connects every tunnel to kwok's server, whatever node it names. */
async function startKubeletEgress(
  kwokPort: number,
  tls: { cert: string; key: string },
): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  // TLS: the apiserver's TCP egress transport insists on it.
  const srv = createTlsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.once('data', (head) => {
      const request = head.toString('latin1');
      if (!/^CONNECT \S+ HTTP\/1\.[01]\r\n/.test(request)) {
        client.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
        return;
      }
      const upstream = connect(kwokPort, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        // Whatever followed the request headers in the same chunk belongs to the tunnel.
        const rest = head.subarray(head.indexOf('\r\n\r\n') + 4);
        if (rest.length) upstream.write(rest);
        client.pipe(upstream).pipe(client);
      });
      sockets.add(upstream);
      upstream.once('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    port: (srv.address() as { port: number }).port,
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function kubeconfigYaml(server: string, caPem: string, user: string, certPem: string, keyPem: string): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'box', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) } }],
    contexts: [{ name: `${user}@box`, context: { cluster: 'box', user } }],
    'current-context': `${user}@box`,
  });
}

const CLIENTS: ClientIdentity[] = [
  { name: 'admin', cn: 'box-admin', groups: ['system:masters'] },
  { name: 'kube-controller-manager', cn: 'system:kube-controller-manager' },
  { name: 'kube-scheduler', cn: 'system:kube-scheduler' },
  // kwok plays every kubelet of the box: one identity for all of them.
  { name: 'kwok', cn: 'box-kwok', groups: ['system:masters'] },
];

/** Node object as kubelet registers it with --cloud-provider=external. */
export function nodeObject(spec: NodeSpec, cloudProviderTaint = true): object {
  const taints = [...(spec.taints ?? [])];
  if (cloudProviderTaint) taints.push({ key: UNINITIALIZED_TAINT, value: 'true', effect: 'NoSchedule' });
  if (spec.controlPlane) taints.push({ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        type: 'kwok',
        ...(spec.controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
        ...spec.labels,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'kwok.x-k8s.io/node': 'fake',
        ...(spec.ip ? { 'alpha.kubernetes.io/provided-node-ip': spec.ip } : {}),
      },
    },
    spec: { taints },
    status: {
      addresses: [
        ...(spec.ip ? [{ type: 'InternalIP', address: spec.ip }] : []),
        { type: 'Hostname', address: spec.name },
      ],
      nodeInfo: {
        systemUUID: spec.systemUUID ?? '',
        machineID: '',
        bootID: '',
        kernelVersion: '6.1.0-box',
        osImage: 'kwok',
        containerRuntimeVersion: 'kwok',
        kubeletVersion: KUBE_BUILD.version,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export async function startBox(opts: BoxOptions = {}): Promise<Box> {
  const [kube, kwokBins] = [await ensureBuilt(KUBE_BUILD), await ensureBuilt(KWOK_BUILD)];
  const dir = mkdtempSync(join(tmpdir(), 'vk-box-'));
  const procs = new Map<Component, Proc>();
  let vcsim: Vcsim | undefined;
  let runtime: PodRuntime | undefined;
  let egress: { port: number; close(): void } | undefined;
  const stop = async () => {
    await runtime?.stop();
    // Workers first, then the apiserver, then its storage.
    for (const c of ['kwok', 'kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'] as Component[]) {
      await procs.get(c)?.stop();
    }
    egress?.close();
    await vcsim?.stop();
    if (!process.env.VK_BOX_KEEP_DIR) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const vcsimOpts: VcsimOptions = opts.vcsim ?? { cluster: 1, host: 3, ds: 1, folder: '/DC0/vm/k8s', folderVms: 3 };
    const [pki, vc] = await Promise.all([
      makePki(join(dir, 'pki'), CLIENTS),
      opts.noVcsim ? Promise.resolve(undefined) : startVcsim(vcsimOpts),
    ]);
    vcsim = vc;
    const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all(
      Array.from({ length: 6 }, freePort),
    );
    // The nodes' addresses are their VMs' guest IPs (10.0.x.x), which nothing
    // here listens on. The apiserver reaches "kubelets" (logs, exec) the way
    // konnectivity setups do: through an HTTP CONNECT proxy named by its
    // egress selector; ours sends every node connection to kwok.
    egress = await startKubeletEgress(kwokPort, { cert: pki.serverCert, key: pki.serverKey });
    const egressConfig = join(dir, 'egress-selector.yaml');
    writeFileSync(
      egressConfig,
      yaml.dump({
        apiVersion: 'apiserver.k8s.io/v1beta1',
        kind: 'EgressSelectorConfiguration',
        egressSelections: [
          {
            name: 'cluster',
            connection: {
              proxyProtocol: 'HTTPConnect',
              transport: {
                tcp: {
                  url: `https://127.0.0.1:${egress.port}`,
                  tlsConfig: {
                    caBundle: pki.caCert,
                    clientCert: pki.client('admin').cert,
                    clientKey: pki.client('admin').key,
                  },
                },
              },
            },
          },
        ],
      }),
    );
    const apiServerUrl = `https://127.0.0.1:${apiPort}`;
    const caPem = readFileSync(pki.caCert, 'utf8');
    const kubeconfigOf = (name: string, cn: string) => {
      const p = join(dir, `${name}.kubeconfig`);
      const c = pki.client(name);
      writeFileSync(
        p,
        kubeconfigYaml(apiServerUrl, caPem, cn, readFileSync(c.cert, 'utf8'), readFileSync(c.key, 'utf8')),
      );
      return p;
    };
    const kubeconfig = kubeconfigOf('admin', 'box-admin');
    const log = (c: string) => join(dir, `${c}.log`);

    procs.set(
      'etcd',
      new Proc({
        name: 'etcd',
        bin: kube.etcd!,
        logFile: log('etcd'),
        args: [
          '--name=box',
          `--data-dir=${join(dir, 'etcd')}`,
          `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
          `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
          `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
          `--initial-cluster=box=http://127.0.0.1:${etcdPeerPort}`,
          // A throwaway cluster: no fsync, so a test suite's writes cost memory, not disk flushes.
          '--unsafe-no-fsync',
          '--quota-backend-bytes=4294967296',
          '--log-level=warn',
        ],
      }),
    );
    procs.set(
      'kube-apiserver',
      new Proc({
        name: 'kube-apiserver',
        bin: kube['kube-apiserver']!,
        logFile: log('kube-apiserver'),
        args: [
          `--etcd-servers=http://127.0.0.1:${etcdPort}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${apiPort}`,
          // Offline, the apiserver cannot pick an address from a default route.
          '--advertise-address=127.0.0.1',
          `--tls-cert-file=${pki.serverCert}`,
          `--tls-private-key-file=${pki.serverKey}`,
          `--client-ca-file=${pki.caCert}`,
          '--authorization-mode=Node,RBAC',
          '--enable-admission-plugins=NodeRestriction',
          '--allow-privileged=true',
          '--service-cluster-ip-range=10.96.0.0/16',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${pki.saPub}`,
          `--service-account-signing-key-file=${pki.saKey}`,
          // Pod logs and exec go to "kubelet" (kwok) at the node's address; kwok's certificate is its own.
          `--kubelet-client-certificate=${pki.client('admin').cert}`,
          `--kubelet-client-key=${pki.client('admin').key}`,
          '--kubelet-preferred-address-types=InternalIP,Hostname',
          `--egress-selector-config-file=${egressConfig}`,
          `--cert-dir=${join(dir, 'apiserver-certs')}`,
          '--profiling=false',
          '--v=1',
        ],
      }),
    );
    procs.set(
      'kube-controller-manager',
      new Proc({
        name: 'kube-controller-manager',
        bin: kube['kube-controller-manager']!,
        logFile: log('kube-controller-manager'),
        args: [
          `--kubeconfig=${kubeconfigOf('kube-controller-manager', 'system:kube-controller-manager')}`,
          `--authentication-kubeconfig=${join(dir, 'kube-controller-manager.kubeconfig')}`,
          `--authorization-kubeconfig=${join(dir, 'kube-controller-manager.kubeconfig')}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${kcmPort}`,
          `--root-ca-file=${pki.caCert}`,
          `--service-account-private-key-file=${pki.saKey}`,
          '--use-service-account-credentials=true',
          `--cluster-signing-cert-file=${pki.caCert}`,
          `--cluster-signing-key-file=${pki.caKey}`,
          '--leader-elect=false',
          '--controllers=*',
          '--v=1',
        ],
      }),
    );
    procs.set(
      'kube-scheduler',
      new Proc({
        name: 'kube-scheduler',
        bin: kube['kube-scheduler']!,
        logFile: log('kube-scheduler'),
        args: [
          `--kubeconfig=${kubeconfigOf('kube-scheduler', 'system:kube-scheduler')}`,
          `--authentication-kubeconfig=${join(dir, 'kube-scheduler.kubeconfig')}`,
          `--authorization-kubeconfig=${join(dir, 'kube-scheduler.kubeconfig')}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${schedPort}`,
          '--leader-elect=false',
          '--v=1',
        ],
      }),
    );
    // The stages, with the driver releases the box built when its runtime runs them.
    const kwokStages = join(dir, 'kwok-stages.yaml');
    writeFileSync(
      kwokStages,
      readFileSync(join(repoRoot, 'test', 'box', 'kwok-stages.yaml'), 'utf8')
        .replaceAll('BOX_UNBUILT_IMAGE', opts.drivers ? unbuiltImageJq(BUILT_VERSION) : 'false')
        .replaceAll('BOX_RUNTIME_POD', opts.drivers ? runtimePodJq() : 'false'),
    );
    procs.set(
      'kwok',
      new Proc({
        name: 'kwok',
        bin: kwokBins.kwok!,
        logFile: log('kwok'),
        args: [
          `--kubeconfig=${kubeconfigOf('kwok', 'box-kwok')}`,
          `--config=${kwokStages}`,
          '--manage-all-nodes=true',
          `--server-address=127.0.0.1:${kwokPort}`,
          `--node-port=${kwokPort}`,
          '--node-lease-duration-seconds=40',
          `--tls-cert-file=${pki.serverCert}`,
          `--tls-private-key-file=${pki.serverKey}`,
          '--cidr=10.244.0.0/16',
          ...(opts.drivers ? ['--enable-crds=Logs'] : []),
        ],
      }),
    );

    const admin = pki.client('admin');
    const agent = new Agent({
      connect: { ca: caPem, cert: readFileSync(admin.cert), key: readFileSync(admin.key) },
    });
    const api: Box['api'] = async (method, path, body, contentType = 'application/json') => {
      const res = await request(`${apiServerUrl}${path}`, {
        method: method as 'GET',
        dispatcher: agent,
        headers: body === undefined ? {} : { 'content-type': contentType },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.body.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON (e.g. /readyz?verbose)
      }
      return { status: res.statusCode, body: parsed };
    };
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const getJson = async <T = any>(path: string): Promise<T> => {
      const r = await api('GET', path);
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };

    // Components that serve /healthz on their own port with a self-signed certificate.
    const selfSigned = new Agent({ connect: { rejectUnauthorized: false } });
    const healthz = (c: Component, port: number) =>
      waitFor(
        `${c} /healthz`,
        async () => {
          const r = await request(`https://127.0.0.1:${port}/healthz`, { dispatcher: selfSigned });
          await r.body.dump();
          return r.statusCode === 200;
        },
        { timeoutMs: 60_000, proc: procs.get(c) },
      );
    const readiness: Record<Component, () => Promise<void>> = {
      etcd: () =>
        waitFor('etcd /health', async () => (await request(`http://127.0.0.1:${etcdPort}/health`)).statusCode === 200, {
          timeoutMs: 30_000,
          proc: procs.get('etcd'),
        }),
      'kube-apiserver': () =>
        waitFor('kube-apiserver /readyz', async () => (await api('GET', '/readyz')).status === 200, {
          timeoutMs: 90_000,
          proc: procs.get('kube-apiserver'),
        }),
      'kube-controller-manager': () => healthz('kube-controller-manager', kcmPort),
      'kube-scheduler': () => healthz('kube-scheduler', schedPort),
      kwok: () =>
        waitFor('kwok', async () => /controller|Starting/i.test(procs.get('kwok')!.logTail(200)), {
          timeoutMs: 30_000,
          proc: procs.get('kwok'),
        }),
    };
    const startComponent = async (c: Component) => {
      procs.get(c)!.start();
      await readiness[c]();
    };

    await startComponent('etcd');
    await startComponent('kube-apiserver');
    if (opts.drivers) await installRuntimeCrds(api);
    await Promise.all([
      startComponent('kube-controller-manager'),
      startComponent('kube-scheduler'),
      startComponent('kwok'),
    ]);
    // The service account controller's first job: without `default`, no pod can be created.
    await waitFor(
      'the default ServiceAccount',
      async () => (await api('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200,
      {
        timeoutMs: 30_000,
        proc: procs.get('kube-controller-manager'),
      },
    );

    const nodes: BoxNode[] = [];
    const addNodes = async (specs: NodeSpec[]) => {
      for (const s of specs) {
        const r = await api('POST', '/api/v1/nodes', nodeObject(s, !opts.withoutCloudProviderTaint));
        if (r.status !== 201) throw new Error(`registering node ${s.name}: ${r.status} ${JSON.stringify(r.body)}`);
        nodes.push({ name: s.name, controlPlane: !!s.controlPlane });
      }
      await waitFor(
        `nodes ${specs.map((s) => s.name).join(', ')} Ready`,
        async () => {
          type ReadyNode = {
            metadata: { name: string };
            spec?: { taints?: { key: string }[] };
            status?: { conditions?: { type: string; status: string }[] };
          };
          const list = await getJson<{ items: ReadyNode[] }>('/api/v1/nodes');
          // Ready, and the node lifecycle controller has taken its not-ready taint off again.
          const ready = new Set(
            list.items
              .filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
              .filter((n) => !(n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/not-ready'))
              .map((n) => n.metadata.name),
          );
          return specs.every((s) => ready.has(s.name));
        },
        { timeoutMs: 30_000, proc: procs.get('kwok') },
      );
    };

    const vmNodeSpecs: NodeSpec[] = [];
    const nodeFolder = opts.nodeFolder === false ? undefined : (opts.nodeFolder ?? vcsimOpts.folder);
    if (vcsim && nodeFolder) {
      const vms = (await vcsim.inspect('vms'))
        .filter((v) => v.path.startsWith(`${nodeFolder}/`) && !v.template)
        .sort((a, b) => a.name.localeCompare(b.name));
      const cp = opts.controlPlaneNodes ?? 1;
      vmNodeSpecs.push(
        ...vms.map((vm, i) => ({
          name: vm.name.toLowerCase(),
          systemUUID: vm.uuid,
          ip: vm.ipAddress || undefined,
          controlPlane: i < cp,
        })),
      );
      await addNodes(vmNodeSpecs);
      for (const n of nodes) n.vm = vms.find((v) => v.name.toLowerCase() === n.name);
    }

    if (opts.drivers) runtime = await startRuntime({ api, apiServerUrl, caPem, volumesDir: join(dir, 'volumes') });

    const kubectl: Box['kubectl'] = async (args, o = {}) => {
      const child = execFileP(kube.kubectl!, [`--kubeconfig=${o.kubeconfig ?? kubeconfig}`, ...args], {
        maxBuffer: 64 << 20,
      });
      if (o.input !== undefined) {
        child.child.stdin!.end(o.input);
      }
      try {
        return (await child).stdout;
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`kubectl ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
      }
    };

    const store: BoxStore = {
      async get(kind, name, namespace) {
        const r = await api('GET', objectPath(kind, name, namespace));
        if (r.status === 404) return undefined;
        if (r.status !== 200) throw new Error(`GET ${kind} ${name}: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body;
      },
      async list(kind, namespace) {
        return (await getJson(collectionPath(kind, namespace))).items;
      },
      async put(obj) {
        const kind = obj.kind!;
        const { name, namespace } = obj.metadata;
        for (let attempt = 0; ; attempt++) {
          const existing = await store.get(kind, name, namespace);
          const body = {
            ...obj,
            apiVersion: obj.apiVersion ?? existing?.apiVersion,
            metadata: { ...obj.metadata, resourceVersion: existing?.metadata.resourceVersion },
          };
          const r = existing
            ? await api('PUT', objectPath(kind, name, namespace), body)
            : await api('POST', collectionPath(kind, namespace), body);
          if (r.status === 409 && attempt < 5) continue;
          if (r.status !== 200 && r.status !== 201)
            throw new Error(`put ${kind} ${name}: ${r.status} ${JSON.stringify(r.body)}`);
          return r.body;
        }
      },
      async delete(kind, name, namespace) {
        const r = await api('DELETE', objectPath(kind, name, namespace));
        return r.status === 200 || r.status === 202;
      },
    };

    const setNodes = async (specs: NodeSpec[]) => {
      const existing = await store.list('Node');
      await Promise.all(existing.map((n) => store.delete('Node', n.metadata.name)));
      await waitFor('the old nodes to be deleted', async () => (await store.list('Node')).length === 0, {
        timeoutMs: 30_000,
      });
      nodes.length = 0;
      await addNodes(specs);
    };

    let userSerial = 0;
    return {
      kubeconfig,
      apiServerUrl,
      caPem,
      tls: {
        serverCert: pki.serverCert,
        serverKey: pki.serverKey,
        adminCert: pki.client('admin').cert,
        adminKey: pki.client('admin').key,
      },
      vcsim,
      nodes,
      dir,
      env: { ...(vcsim?.env ?? process.env), KUBECONFIG: kubeconfig },
      kubectl,
      getJson,
      api,
      async kubeconfigFor(user, groups = []) {
        const name = `user-${++userSerial}`;
        const c = await issueClient(pki.dir, { name, cn: user, groups });
        const file = join(dir, `${name}.kubeconfig`);
        writeFileSync(
          file,
          kubeconfigYaml(apiServerUrl, caPem, user, readFileSync(c.cert, 'utf8'), readFileSync(c.key, 'utf8')),
        );
        return file;
      },
      addNodes,
      setNodes,
      vmNodeSpecs,
      store,
      stopComponent: (c) => procs.get(c)!.stop(),
      startComponent,
      logOf: (c) => procs.get(c)!.logTail(400),
      runtime,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
