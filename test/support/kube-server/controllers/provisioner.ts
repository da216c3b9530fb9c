// The external-provisioner of the vSphere CSI driver: binds PVCs of
// StorageClasses with provisioner csi.vsphere.vmware.com to new PVs after a
// delay, or fails with the Warning ProvisioningFailed event the real one
// writes. `onProvision` lets a test create the CNS volume in vcsim.
import { randomUUID } from 'node:crypto';
import type { ApiServer } from '../api-server.js';
import type { StoreEvent } from '../store.js';
import type { KubeObject } from '../types.js';
import { CSI_DRIVER } from './csi.js';
import { recordEvent } from './events.js';

export interface ProvisionerOptions {
  enabled?: boolean;
  /** Delay before a claim is bound. Default 100 ms. */
  delayMs?: number;
  /** When set, provisioning fails with this reason (a Warning ProvisioningFailed event) and the claim stays Pending. */
  failWith?: string;
  /** Called with the new PV before it is stored; may be async; a throw fails provisioning with its message. */
  onProvision?: (pv: KubeObject, pvc: KubeObject) => void | Promise<void>;
}

interface PvcSpec {
  storageClassName?: string;
  accessModes?: string[];
  volumeMode?: string;
  volumeName?: string;
  resources?: { requests?: { storage?: string } };
}

interface StorageClass extends KubeObject {
  provisioner?: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
}

const COMPONENT = `${CSI_DRIVER}_vsphere-csi-controller_${'0'.repeat(8)}`;

export class Provisioner {
  enabled: boolean;
  delayMs: number;
  failWith: string | undefined;
  onProvision: ProvisionerOptions['onProvision'];
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly api: ApiServer,
    opts: ProvisionerOptions = {},
  ) {
    this.enabled = opts.enabled ?? true;
    this.delayMs = opts.delayMs ?? 100;
    this.failWith = opts.failWith;
    this.onProvision = opts.onProvision;
  }

  handle(e: StoreEvent): void {
    if (!this.enabled) return;
    const kind = e.resource.kind;
    if (kind === 'PersistentVolumeClaim' && e.type === 'ADDED') this.consider(e.object);
    else if (kind === 'PersistentVolumeClaim' && e.type === 'DELETED') this.release(e.object);
    else if (kind === 'Pod' && e.type === 'ADDED') {
      // WaitForFirstConsumer: a pod using the claim lets provisioning start.
      const spec = (e.object.spec ?? {}) as { volumes?: { persistentVolumeClaim?: { claimName: string } }[] };
      for (const v of spec.volumes ?? []) {
        const name = v.persistentVolumeClaim?.claimName;
        const pvc =
          name &&
          this.api.store.get(this.api.resource('', 'v1', 'persistentvolumeclaims'), e.object.metadata.namespace, name);
        if (pvc) this.consider(pvc, true);
      }
    }
  }

  private storageClass(name: string | undefined): StorageClass | undefined {
    if (!name) return undefined;
    return this.api.store.get(this.api.resource('storage.k8s.io', 'v1', 'storageclasses'), undefined, name) as
      StorageClass | undefined;
  }

  private consider(pvc: KubeObject, hasConsumer = false): void {
    const spec = (pvc.spec ?? {}) as PvcSpec;
    const sc = this.storageClass(spec.storageClassName);
    if (spec.volumeName || sc?.provisioner !== CSI_DRIVER) return;
    if (sc.volumeBindingMode === 'WaitForFirstConsumer' && !hasConsumer) {
      recordEvent(
        this.api,
        pvc,
        'Normal',
        'WaitForFirstConsumer',
        'waiting for first consumer to be created before binding',
        'persistentvolume-controller',
      );
      return;
    }
    const key = `${pvc.metadata.namespace}/${pvc.metadata.name}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    recordEvent(
      this.api,
      pvc,
      'Normal',
      'Provisioning',
      `External provisioner is provisioning volume for claim "${key}"`,
      COMPONENT,
    );
    this.api.later(
      this.delayMs,
      () =>
        void this.provision(pvc.metadata.namespace!, pvc.metadata.name, sc).finally(() => this.inFlight.delete(key)),
    );
  }

  private async provision(namespace: string, name: string, sc: StorageClass): Promise<void> {
    const pvcs = this.api.resource('', 'v1', 'persistentvolumeclaims');
    const pvc = this.api.store.get(pvcs, namespace, name);
    if (!pvc || !this.enabled) return;
    const fail = (reason: string): void => {
      recordEvent(
        this.api,
        pvc,
        'Warning',
        'ProvisioningFailed',
        `failed to provision volume with StorageClass "${sc.metadata.name}": rpc error: code = Internal desc = ${reason}`,
        COMPONENT,
      );
    };
    if (this.failWith) return fail(this.failWith);
    const spec = pvc.spec as PvcSpec;
    const pv: KubeObject = {
      metadata: {
        name: `pvc-${pvc.metadata.uid}`,
        annotations: {
          'pv.kubernetes.io/provisioned-by': CSI_DRIVER,
          'volume.kubernetes.io/provisioner-deletion-secret-name': '',
          'volume.kubernetes.io/provisioner-deletion-secret-namespace': '',
        },
        finalizers: ['kubernetes.io/pv-protection'],
      },
      spec: {
        accessModes: spec.accessModes,
        capacity: { storage: spec.resources?.requests?.storage },
        claimRef: {
          kind: 'PersistentVolumeClaim',
          namespace,
          name,
          uid: pvc.metadata.uid,
          apiVersion: 'v1',
          resourceVersion: pvc.metadata.resourceVersion,
        },
        csi: {
          driver: CSI_DRIVER,
          fsType: sc.parameters?.['csi.storage.k8s.io/fstype'] ?? 'ext4',
          volumeAttributes: {
            'storage.kubernetes.io/csiProvisionerIdentity': `${Date.now()}-8081-${CSI_DRIVER}`,
            type: 'vSphere CNS Block Volume',
          },
          volumeHandle: randomUUID(),
        },
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
        storageClassName: sc.metadata.name,
        volumeMode: spec.volumeMode ?? 'Filesystem',
      },
      status: { phase: 'Bound' },
    };
    try {
      await this.onProvision?.(pv, pvc);
    } catch (e) {
      return fail((e as Error).message);
    }
    const current = this.api.store.get(pvcs, namespace, name);
    if (!current) return;
    const stored = this.api.store.create(this.api.resource('', 'v1', 'persistentvolumes'), pv);
    this.api.store.update(pvcs, {
      ...current,
      metadata: {
        ...current.metadata,
        annotations: {
          ...current.metadata.annotations,
          'pv.kubernetes.io/bind-completed': 'yes',
          'pv.kubernetes.io/bound-by-controller': 'yes',
          'volume.beta.kubernetes.io/storage-provisioner': CSI_DRIVER,
          'volume.kubernetes.io/storage-provisioner': CSI_DRIVER,
        },
      },
      spec: { ...(current.spec as object), volumeName: stored.metadata.name },
      status: {
        phase: 'Bound',
        accessModes: spec.accessModes,
        capacity: { storage: spec.resources?.requests?.storage },
      },
    });
    recordEvent(
      this.api,
      current,
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${stored.metadata.name}`,
      COMPONENT,
    );
  }

  /** Reclaim policy Delete: the PV goes with its claim. */
  private release(pvc: KubeObject): void {
    const pvs = this.api.resource('', 'v1', 'persistentvolumes');
    for (const pv of this.api.store.list(pvs)) {
      const spec = pv.spec as { claimRef?: { uid?: string }; persistentVolumeReclaimPolicy?: string };
      if (spec.claimRef?.uid === pvc.metadata.uid && spec.persistentVolumeReclaimPolicy === 'Delete')
        this.api.store.delete(pvs, undefined, pv.metadata.name);
    }
  }
}
