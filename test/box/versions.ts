// The releases the box runs, in one place. The Go modules under test/box/*
// pin the same versions in their go.mod; test/box-versions.test.ts checks
// that they agree, and that the Kubernetes minor is the newest one vk's
// compatibility table supports.
export const KUBERNETES_VERSION = 'v1.36.3';
export const KWOK_VERSION = 'v0.8.0';
/** The CPI release vk's compatibility table picks for KUBERNETES_VERSION's minor. */
export const CPI_VERSION = 'v1.36.0';
/**
 * The kubernetes-csi sidecars. vk's CSI manifest for 1.36 (vSphere CSI
 * v3.8.0) names csi-provisioner v4.0.1 and csi-attacher v4.10.0; the module
 * proxy serves neither, so these are the nearest served releases.
 */
export const CSI_PROVISIONER_VERSION = 'v5.1.0';
export const CSI_ATTACHER_VERSION = 'v4.12.0';
/**
 * external-snapshotter: the snapshot-controller and the csi-snapshotter
 * sidecar. vSphere CSI v3.7/v3.8 run csi-snapshotter v8.2.0, which the module
 * proxy does not serve; v8.4.0 is the nearest served release.
 */
export const SNAPSHOTTER_VERSION = 'v8.4.0';
/** govmomi of the CSI stand-in (test/box/csi-standin). */
export const GOVMOMI_VERSION = 'v0.56.0';
