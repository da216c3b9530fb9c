// The vSphere CSI driver's registration: once the controller Deployment and
// the node DaemonSet are ready, the CSIDriver exists and each node's CSINode
// lists the driver (what node-driver-registrar does through kubelet).
import type { ApiServer } from '../api-server.js';
import type { StoreEvent } from '../store.js';
import type { KubeObject } from '../types.js';

export const CSI_DRIVER = 'csi.vsphere.vmware.com';

export interface CsiOptions {
  enabled?: boolean;
  namespace?: string; // default vmware-system-csi
}

export class CsiRegistrar {
  enabled: boolean;
  namespace: string;

  constructor(
    private readonly api: ApiServer,
    opts: CsiOptions = {},
  ) {
    this.enabled = opts.enabled ?? true;
    this.namespace = opts.namespace ?? 'vmware-system-csi';
  }

  private ready(resource: 'deployments' | 'daemonsets', name: string): boolean {
    const w = this.api.store.get(this.api.resource('apps', 'v1', resource), this.namespace, name);
    if (!w) return false;
    const s = (w.status ?? {}) as Record<string, number | undefined>;
    if (s.observedGeneration !== w.metadata.generation) return false;
    return resource === 'deployments'
      ? (s.readyReplicas ?? 0) >= ((w.spec as { replicas?: number }).replicas ?? 1)
      : (s.desiredNumberScheduled ?? 0) > 0 && s.numberReady === s.desiredNumberScheduled;
  }

  running(): boolean {
    return this.ready('deployments', 'vsphere-csi-controller') && this.ready('daemonsets', 'vsphere-csi-node');
  }

  handle(e: StoreEvent): void {
    if (!this.enabled || e.type === 'DELETED') return;
    const { kind } = e.resource;
    if (
      (kind === 'Deployment' || kind === 'DaemonSet') &&
      e.object.metadata.namespace === this.namespace &&
      this.running()
    )
      this.register();
  }

  /** Creates the CSIDriver if missing and a CSINode listing the driver for every node the node DaemonSet runs on. */
  register(): void {
    const drivers = this.api.resource('storage.k8s.io', 'v1', 'csidrivers');
    if (!this.api.store.get(drivers, undefined, CSI_DRIVER)) {
      this.api.store.create(drivers, {
        metadata: { name: CSI_DRIVER },
        spec: {
          attachRequired: true,
          podInfoOnMount: false,
          fsGroupPolicy: 'ReadWriteOnceWithFSType',
          requiresRepublish: false,
          storageCapacity: false,
          volumeLifecycleModes: ['Persistent'],
          seLinuxMount: false,
        },
      });
    }
    const pods = this.api.store
      .list(this.api.resource('', 'v1', 'pods'), this.namespace)
      .filter((p) => p.metadata.ownerReferences?.some((o) => o.name === 'vsphere-csi-node'));
    const nodeNames = new Set(
      pods.map((p) => (p.spec as { nodeName?: string }).nodeName).filter((n): n is string => !!n),
    );
    const nodes = this.api.store
      .list(this.api.resource('', 'v1', 'nodes'))
      .filter((n) => nodeNames.has(n.metadata.name));
    for (const n of nodes) this.registerNode(n);
  }

  private registerNode(node: KubeObject): void {
    const csinodes = this.api.resource('storage.k8s.io', 'v1', 'csinodes');
    const existing = this.api.store.get(csinodes, undefined, node.metadata.name);
    const driver = { name: CSI_DRIVER, nodeID: node.metadata.name, topologyKeys: null, allocatable: { count: 59 } };
    if (!existing) {
      this.api.store.create(csinodes, {
        metadata: {
          name: node.metadata.name,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.metadata.name, uid: node.metadata.uid! }],
        },
        spec: { drivers: [driver] },
      });
      return;
    }
    const spec = (existing.spec ?? {}) as { drivers?: { name: string }[] };
    if (spec.drivers?.some((d) => d.name === CSI_DRIVER)) return;
    this.api.store.update(csinodes, { ...existing, spec: { drivers: [...(spec.drivers ?? []), driver] } });
  }
}
