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

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : ([v].flat() as T[]));

/** Every storage (requirement) policy: two round trips, whatever their number. */
export async function listStoragePolicies(session: VsphereSession): Promise<StoragePolicy[]> {
  const pbm = session.client.service({ path: '/pbm', namespace: 'urn:pbm' });
  const content = await pbm.invoke<{ profileManager?: { type: string; value: string } }>(
    'PbmRetrieveServiceContent',
    PBM_SERVICE_INSTANCE,
  );
  const manager = content.profileManager ?? { type: 'PbmProfileProfileManager', value: 'ProfileManager' };
  const ids = asArray(
    await pbm.invoke<{ uniqueId?: string } | { uniqueId?: string }[]>('PbmQueryProfile', manager, {
      resourceType: { resourceType: 'STORAGE' },
      profileCategory: 'REQUIREMENT',
    }),
  ).filter((i) => i.uniqueId);
  if (ids.length === 0) return [];
  const profiles = asArray(
    await pbm.invoke<WireProfile | WireProfile[]>('PbmRetrieveContent', manager, {
      profileIds: ids.map((i) => ({ uniqueId: i.uniqueId! })),
    }),
  );
  return profiles
    .filter((p) => p.name)
    .map((p) => ({ id: p.profileId?.uniqueId ?? '', name: p.name!, description: p.description || undefined }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
