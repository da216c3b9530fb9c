// A simulated vSphere cloud-controller-manager: once its DaemonSet is ready it
// initializes every node whose VM it can find (the test's node → UUID map):
// spec.providerID = vsphere://<uuid>, the uninitialized taint removed. Nodes
// it cannot find stay uninitialized, as with a VM the CPI does not see.
import type { ApiServer } from '../api-server.js';
import type { StoreEvent } from '../store.js';
import type { KubeObject } from '../types.js';

export const UNINITIALIZED_TAINT = 'node.cloudprovider.kubernetes.io/uninitialized';

export interface CcmOptions {
  enabled?: boolean;
  /** The CPI DaemonSet that must be ready first. Default kube-system/vsphere-cloud-controller-manager. */
  daemonSet?: { namespace: string; name: string };
  /** VM UUID by node name. */
  uuids?: Record<string, string>;
}

export class CloudControllerManager {
  enabled: boolean;
  readonly uuids: Map<string, string>;
  daemonSet: { namespace: string; name: string };

  constructor(
    private readonly api: ApiServer,
    opts: CcmOptions = {},
  ) {
    this.enabled = opts.enabled ?? true;
    this.uuids = new Map(Object.entries(opts.uuids ?? {}));
    this.daemonSet = opts.daemonSet ?? { namespace: 'kube-system', name: 'vsphere-cloud-controller-manager' };
  }

  /** Whether the CPI DaemonSet exists and all its pods are ready. */
  running(): boolean {
    const ds = this.api.store.get(
      this.api.resource('apps', 'v1', 'daemonsets'),
      this.daemonSet.namespace,
      this.daemonSet.name,
    );
    const s = (ds?.status ?? {}) as {
      numberReady?: number;
      desiredNumberScheduled?: number;
      observedGeneration?: number;
    };
    return (
      !!ds &&
      s.observedGeneration === ds.metadata.generation &&
      (s.desiredNumberScheduled ?? 0) > 0 &&
      s.numberReady === s.desiredNumberScheduled
    );
  }

  handle(e: StoreEvent): void {
    if (!this.enabled || e.type === 'DELETED') return;
    const { kind } = e.resource;
    const isCpi =
      kind === 'DaemonSet' &&
      e.object.metadata.name === this.daemonSet.name &&
      e.object.metadata.namespace === this.daemonSet.namespace;
    if (isCpi && this.running()) this.initializeAll();
    else if (kind === 'Node' && needsInit(e.object) && this.running()) this.initialize(e.object);
  }

  /** Initializes every node it can find now (when running). */
  initializeAll(): void {
    for (const n of this.api.store.list(this.api.resource('', 'v1', 'nodes'))) if (needsInit(n)) this.initialize(n);
  }

  private initialize(node: KubeObject): void {
    const uuid = this.uuids.get(node.metadata.name);
    if (!uuid) return;
    const spec = { ...(node.spec as Record<string, unknown>) } as { providerID?: string; taints?: { key: string }[] };
    spec.providerID ??= `vsphere://${uuid}`;
    const taints = (spec.taints ?? []).filter((t) => t.key !== UNINITIALIZED_TAINT);
    if (taints.length) spec.taints = taints;
    else delete spec.taints;
    const labels = { ...node.metadata.labels, 'node.kubernetes.io/instance-type': 'vsphere-vm.cpu-4.mem-8gb.os-linux' };
    this.api.store.update(this.api.resource('', 'v1', 'nodes'), {
      ...node,
      metadata: { ...node.metadata, labels },
      spec,
    });
  }
}

/** Like the real cloud node controller, only nodes registered with the uninitialized taint are initialized. */
const needsInit = (n: KubeObject): boolean =>
  !!(n.spec as { taints?: { key: string }[] } | undefined)?.taints?.some((t) => t.key === UNINITIALIZED_TAINT);
