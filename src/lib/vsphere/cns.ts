// Cloud Native Storage (CNS): the vCenter service the vSphere CSI driver
// creates volumes through. CnsQueryVolume answers whether a CSI volume handle
// is a CNS volume and on which datastore it lives.

import { VkError } from '../errors.js';
import type { VsphereSession } from './connect.js';

/** vCenter does not serve the CNS API (older vCenter, plain ESXi, or a simulator without it). */
export class CnsUnavailableError extends VkError {
  constructor(message: string) {
    super(message);
    this.name = 'CnsUnavailableError';
  }
}

export interface CnsVolume {
  id: string;
  name: string;
  volumeType?: string;
  datastoreUrl?: string;
  /** The datastore's name, resolved from datastoreUrl. */
  datastore?: string;
}

export async function queryCnsVolume(session: VsphereSession, volumeId: string): Promise<CnsVolume | undefined> {
  void session;
  void volumeId;
  throw new CnsUnavailableError('CNS query not wired yet');
}
