// The names the drivers' release manifests give their objects: the CSI
// driver's name, namespaces, workloads and their driver containers. Written
// once here; every step, check and transform takes them from this module.

/** The CSI driver's name: CSIDriver object, StorageClass provisioner, PV `spec.csi.driver`. */
export const CSI_DRIVER_NAME = 'csi.vsphere.vmware.com';

/** The in-tree vSphere volume plugin CSI replaces. */
export const IN_TREE_PROVISIONER = 'kubernetes.io/vsphere-volume';

export const CSI_NAMESPACE = 'vmware-system-csi';
export const CPI_NAMESPACE = 'kube-system';

/** A workload of a driver manifest and the container that runs the driver itself. */
export interface DriverWorkload {
  kind: 'Deployment' | 'DaemonSet';
  namespace: string;
  name: string;
  container: string;
}

export const CPI_DAEMONSET: DriverWorkload = {
  kind: 'DaemonSet',
  namespace: CPI_NAMESPACE,
  name: 'vsphere-cloud-controller-manager',
  container: 'vsphere-cloud-controller-manager',
};

export const CSI_CONTROLLER: DriverWorkload = {
  kind: 'Deployment',
  namespace: CSI_NAMESPACE,
  name: 'vsphere-csi-controller',
  container: 'vsphere-csi-controller',
};

export const CSI_NODE: DriverWorkload = {
  kind: 'DaemonSet',
  namespace: CSI_NAMESPACE,
  name: 'vsphere-csi-node',
  container: 'vsphere-csi-node',
};

/** Node labels the CPI sets from the region and zone tag categories. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const REGION_LABEL = 'topology.kubernetes.io/region';
/** The CSI driver's topology keys: this prefix and a tag category name (`topology.csi.vmware.com/k8s-zone`). */
export const CSI_TOPOLOGY_PREFIX = 'topology.csi.vmware.com/';
