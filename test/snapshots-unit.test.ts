// The external-snapshotter release vk pairs with the CSI driver, where its
// manifests are, and the image pin: pure functions, no cluster.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../src/lib/drivers/manifests/objects.js';
import {
  DEFAULT_CLASS_ANNOTATION,
  pinControllerImage,
  sidecarVersion,
  snapshotClass,
  snapshotterUrls,
} from '../src/lib/snapshots/release.js';

const deployment = (image: string): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'snapshot-controller', namespace: 'kube-system' },
    spec: { template: { spec: { containers: [{ name: 'snapshot-controller', image }] } } },
  }) as KubeObject;
const imageOf = (o: KubeObject) => (o.spec as any).template.spec.containers[0].image as string; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('snapshot release', () => {
  it('reads the release from the csi-snapshotter image tag, mirrored or by digest too', () => {
    expect(sidecarVersion('registry.k8s.io/sig-storage/csi-snapshotter:v8.2.0')).toBe('v8.2.0');
    expect(sidecarVersion('harbor.example.com/k8s/csi-snapshotter:v8.4.0@sha256:abc')).toBe('v8.4.0');
    expect(sidecarVersion('registry.k8s.io/sig-storage/csi-snapshotter:latest')).toBeUndefined();
    expect(sidecarVersion('registry.k8s.io/sig-storage/csi-provisioner:v5.1.0')).toBeUndefined();
    expect(sidecarVersion(undefined)).toBeUndefined();
  });

  it('names the three v1 CRDs first, then the controller RBAC and Deployment, under the base URL', () => {
    expect(snapshotterUrls('http://mirror', 'v8.2.0')).toEqual([
      'http://mirror/kubernetes-csi/external-snapshotter/v8.2.0/client/config/crd/snapshot.storage.k8s.io_volumesnapshotclasses.yaml',
      'http://mirror/kubernetes-csi/external-snapshotter/v8.2.0/client/config/crd/snapshot.storage.k8s.io_volumesnapshotcontents.yaml',
      'http://mirror/kubernetes-csi/external-snapshotter/v8.2.0/client/config/crd/snapshot.storage.k8s.io_volumesnapshots.yaml',
      'http://mirror/kubernetes-csi/external-snapshotter/v8.2.0/deploy/kubernetes/snapshot-controller/rbac-snapshot-controller.yaml',
      'http://mirror/kubernetes-csi/external-snapshotter/v8.2.0/deploy/kubernetes/snapshot-controller/setup-snapshot-controller.yaml',
    ]);
  });

  it('pins the controller image to the release, keeps its registry, leaves a digest alone', () => {
    expect(
      imageOf(pinControllerImage([deployment('registry.k8s.io/sig-storage/snapshot-controller:v8.2.1')], 'v8.4.0')[0]!),
    ).toBe('registry.k8s.io/sig-storage/snapshot-controller:v8.4.0');
    const digest = 'registry.k8s.io/sig-storage/snapshot-controller@sha256:0123';
    expect(imageOf(pinControllerImage([deployment(digest)], 'v8.4.0')[0]!)).toBe(digest);
  });

  it('a default class carries the annotation; another does not', () => {
    const on = snapshotClass({
      name: 'a',
      driver: 'csi.vsphere.vmware.com',
      deletionPolicy: 'Delete',
      isDefault: true,
    });
    expect(on.metadata.annotations).toEqual({ [DEFAULT_CLASS_ANNOTATION]: 'true' });
    expect(DEFAULT_CLASS_ANNOTATION).toBe('snapshot.storage.kubernetes.io/is-default-class');
    const off = snapshotClass({
      name: 'b',
      driver: 'csi.vsphere.vmware.com',
      deletionPolicy: 'Retain',
      isDefault: false,
    });
    expect(off.metadata.annotations).toBeUndefined();
    expect((off as unknown as { deletionPolicy: string }).deletionPolicy).toBe('Retain');
  });
});
