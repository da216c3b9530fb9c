// The smoke test's vCenter check: does the CSI volume handle of the bound PV
// exist as a CNS volume, and on which datastore? SKIPPED (never passed) when
// no vCenter is configured or it does not serve the CNS API.

import type { Context } from '../core/context.js';
import { vcenterConfigured } from '../settings/vsphere.js';

/** The outcome of the vCenter check of a volume handle. */
export interface VolumeCheck {
  status: 'passed' | 'failed' | 'skipped';
  message: string;
  datastore?: string;
}

/** Looks the CSI volume handle up in vCenter; injected so the kube side stays testable alone. */
export type VolumeChecker = (volumeHandle: string, signal: AbortSignal) => Promise<VolumeCheck>;

export function volumeChecker(ctx: Context, flags: { url?: string }): VolumeChecker {
  return async (volumeHandle) => {
    if (!vcenterConfigured(flags.url, ctx.env)) {
      return { status: 'skipped', message: 'no vCenter configured (pass --url or set GOVC_URL to check the volume)' };
    }
    const { queryCnsVolume, CnsUnavailableError } = await import('../vsphere/cns.js');
    const session = await ctx.vsphere();
    try {
      const volume = await queryCnsVolume(session, volumeHandle);
      if (!volume) {
        return {
          status: 'failed',
          message: `volume ${volumeHandle} is not a CNS volume in vCenter ${session.client.hostPort}`,
        };
      }
      const where = volume.datastore ?? volume.datastoreUrl ?? 'an unknown datastore';
      return {
        status: 'passed',
        message: `volume ${volumeHandle} (${volume.name || 'unnamed'}) on datastore ${where}`,
        datastore: volume.datastore ?? volume.datastoreUrl,
      };
    } catch (err) {
      if (err instanceof CnsUnavailableError) return { status: 'skipped', message: err.message };
      throw err;
    }
  };
}
