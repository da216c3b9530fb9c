// The README's journey in the box (`vk roles create`, then `vk up`): the one
// inventory, CSI account and command line that `npm run demo` shows and
// test/up.test.ts checks.
import type { Box, BoxOptions } from '../box/cluster.js';
import type { ManifestServer } from '../fixtures/manifests/server.js';

/** The CSI driver's own account, as an admin would have created it in vCenter SSO. */
export const JOURNEY_CSI_USER = 'k8s-csi@vsphere.local';
export const JOURNEY_CSI_PASSWORD = 'Csi-Passw0rd!';

/** Three node VMs in /DC0/vm/k8s on a cluster of three hosts, a local and an NFS datastore, the real drivers. */
export const JOURNEY_BOX: BoxOptions = {
  drivers: true,
  vcsim: {
    cluster: 1,
    host: 3,
    ds: 1,
    nfs: 1,
    folder: '/DC0/vm/k8s',
    folderVms: 3,
    logins: { [JOURNEY_CSI_USER]: JOURNEY_CSI_PASSWORD },
  },
};

/** `vk up`'s flags in the journey: the node folder, the NFS datastore for the default StorageClass, the CSI user. */
export const JOURNEY_UP_FLAGS = ['--folder', 'k8s', '--datastore', 'NFS_0', '--csi-username', JOURNEY_CSI_USER];

/** vk's environment: the box's, the simulator's self-signed certificate accepted, the fixture manifests, the CSI password. */
export function journeyEnv(box: Box, manifests: ManifestServer): NodeJS.ProcessEnv {
  return {
    ...box.env,
    GOVC_INSECURE: '1',
    VK_MANIFEST_BASE_URL: manifests.baseUrl,
    VK_CSI_PASSWORD: JOURNEY_CSI_PASSWORD,
  };
}
