// Storage Policy Based Management (PBM): the storage policies a StorageClass
// names in `storagepolicyname`. Served at /pbm (urn:pbm) on the vCenter
// session, as govmomi's pbm client and vcsim do.

import type { VsphereSession } from './connect.js';

const PBM_SERVICE_INSTANCE = { type: 'PbmServiceInstance', value: 'ServiceInstance' };

export interface StoragePolicy {
  id: string;
  name: string;
  description?: string;
}

interface WireProfile {
  profileId?: { uniqueId?: string };
  name?: string;
  description?: string;
}

/** Every storage (requirement) policy: two round trips, whatever their number. */
export async function listStoragePolicies(session: VsphereSession): Promise<StoragePolicy[]> {
  const pbm = session.client.service({ path: '/pbm', namespace: 'urn:pbm' });
  const content = await pbm.invoke<{ profileManager?: { type: string; value: string } }>(
    'PbmRetrieveServiceContent',
    PBM_SERVICE_INSTANCE,
    {},
    'PbmServiceInstanceContent',
  );
  const manager = content.profileManager ?? { type: 'PbmProfileProfileManager', value: 'ProfileManager' };
  const ids = await pbm.invoke<Array<{ uniqueId?: string }>>(
    'PbmQueryProfile',
    manager,
    { resourceType: { resourceType: 'STORAGE' }, profileCategory: 'REQUIREMENT' },
    'PbmProfileId[]',
  );
  const wanted = ids.filter((i) => i.uniqueId);
  if (wanted.length === 0) return [];
  const profiles = await pbm.invoke<WireProfile[]>(
    'PbmRetrieveContent',
    manager,
    { profileIds: wanted.map((i) => ({ uniqueId: i.uniqueId! })) },
    'PbmProfile[]',
  );
  return profiles
    .filter((p) => p.name)
    .map((p) => ({ id: p.profileId?.uniqueId ?? '', name: p.name!, description: p.description || undefined }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
