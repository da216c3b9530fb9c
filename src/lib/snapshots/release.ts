// Which external-snapshotter release goes with the installed vSphere CSI
// driver, and where its manifests live. Plain data and pure functions.
//
// The CSI release documents its snapshot release by the csi-snapshotter
// sidecar its controller runs: the driver's own installer
// (manifests/vanilla/deploy-csi-snapshot-components.sh in
// kubernetes-sigs/vsphere-csi-driver) deploys the CRDs and the
// snapshot-controller of external-snapshotter at exactly that "qualified
// version" and refuses others. vk takes the version from the running
// controller Deployment, so it follows whatever release `vk install csi` (or
// anyone) put there. The snapshot-controller's manifest at a tag may name an
// older image than the tag (v8.4.0's names v8.2.1), so vk sets the image to
// the version, as that installer does.

import type { KubeObject } from '../drivers/manifests/objects.js';

export const SNAPSHOTTER_REPO = 'kubernetes-csi/external-snapshotter';
export const SNAPSHOT_GROUP = 'snapshot.storage.k8s.io';
export const SNAPSHOT_API_VERSION = `${SNAPSHOT_GROUP}/v1`;

/** The three v1 CRDs (group snapshots stay off: neither the driver nor vk uses them). */
export const SNAPSHOT_CRDS = ['volumesnapshotclasses', 'volumesnapshotcontents', 'volumesnapshots'].map(
  (plural) => `${plural}.${SNAPSHOT_GROUP}`,
);

export const SNAPSHOT_CONTROLLER = { namespace: 'kube-system', name: 'snapshot-controller' } as const;

/**
 * Any snapshot-controller image, mirrored or renamed too
 * ("rancher/hardened-snapshot-controller:v8.2.0"); group 1 is the tag.
 */
export const ANY_CONTROLLER_IMAGE = /snapshot-controller(?::([^/@]+))?(?:@\S+)?$/;

/** The sidecar in the CSI controller whose tag names the external-snapshotter release. */
export const SNAPSHOTTER_SIDECAR = 'csi-snapshotter';
const SIDECAR_IMAGE = /\/csi-snapshotter:(v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(?:@.*)?$/;
/** A snapshot-controller image by tag (one pinned by digest is left as it is). */
const CONTROLLER_IMAGE = /\/snapshot-controller(?::[^/@]+)?$/;

/** Default VolumeSnapshotClass name. */
export const DEFAULT_SNAPSHOT_CLASS = 'vsphere-csi-snapshots';
/** Marks the class VolumeSnapshots without a class name get (one per driver). */
export const DEFAULT_CLASS_ANNOTATION = 'snapshot.storage.kubernetes.io/is-default-class';

/** The feature state the CSI driver reads before it takes snapshots (internal-feature-states ConfigMap). */
export const SNAPSHOT_FEATURE_STATE = 'block-volume-snapshot';
export const FEATURE_STATES_CONFIGMAP = 'internal-feature-states.csi.vsphere.vmware.com';

/** The external-snapshotter tag of a csi-snapshotter image, e.g. "v8.2.0"; undefined for anything else. */
export function sidecarVersion(image: string | undefined): string | undefined {
  return image ? SIDECAR_IMAGE.exec(image)?.[1] : undefined;
}

/** The CRDs first, then the controller's RBAC and Deployment: the order to apply them in. */
export function snapshotterUrls(baseUrl: string, version: string): string[] {
  const root = `${baseUrl}/${SNAPSHOTTER_REPO}/${version}`;
  return [
    ...SNAPSHOT_CRDS.map((crd) => {
      const [plural, ...group] = crd.split('.');
      return `${root}/client/config/crd/${group.join('.')}_${plural}.yaml`;
    }),
    `${root}/deploy/kubernetes/snapshot-controller/rbac-snapshot-controller.yaml`,
    `${root}/deploy/kubernetes/snapshot-controller/setup-snapshot-controller.yaml`,
  ];
}

/** The controller's image at the release (the tag's manifest may name an older one); the registry is kept. */
export function pinControllerImage(objects: readonly KubeObject[], version: string): KubeObject[] {
  return objects.map((obj) => {
    if (obj.kind !== 'Deployment' || obj.metadata.name !== SNAPSHOT_CONTROLLER.name) return obj;
    const copy = structuredClone(obj);
    const spec = (copy.spec as { template?: { spec?: { containers?: { image?: string }[] } } }).template?.spec;
    for (const c of spec?.containers ?? []) {
      if (c.image && CONTROLLER_IMAGE.test(c.image)) {
        c.image = c.image.replace(CONTROLLER_IMAGE, `/snapshot-controller:${version}`);
      }
    }
    return copy;
  });
}

/** The VolumeSnapshotClass vk creates for the driver. */
export function snapshotClass(opts: {
  name: string;
  driver: string;
  deletionPolicy: 'Delete' | 'Retain';
  isDefault: boolean;
}): KubeObject {
  return {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: 'VolumeSnapshotClass',
    metadata: {
      name: opts.name,
      ...(opts.isDefault ? { annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' } } : {}),
    },
    driver: opts.driver,
    deletionPolicy: opts.deletionPolicy,
  } as KubeObject;
}
