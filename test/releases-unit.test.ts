// The release table is the one source of truth: every release it can pick
// has the config keys vk writes for it and an image, every range is reached
// by some Kubernetes minor, and `vk generate csi` writes its config for the
// very release `vk install csi` installs on the same cluster.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/cli/logger.js';
import { csiKeysFor } from '../src/lib/drivers/csi/config-keys.js';
import { Secret } from '../src/lib/core/secret.js';
import {
  compatibilityTable,
  csiReleaseTable,
  defaultCsiVersion,
  resolveCpi,
  resolveCsi,
} from '../src/lib/drivers/manifests/compatibility.js';
import { parseImageRef } from '../src/lib/drivers/manifests/images.js';
import { planCsi, type GenerateDeps } from '../src/lib/drivers/generate.js';

const minorKey = (m: string) => {
  const [major, minor] = m.split('.').map(Number);
  return major! * 1000 + minor!;
};
const minors = compatibilityTable().map((r) => r.kubernetes);

describe('every CSI release of the table', () => {
  for (const row of csiReleaseTable()) {
    describe(row.version, () => {
      it('has a key table', () => {
        expect(() => csiKeysFor(row.version)).not.toThrow();
      });

      it('has an image tagged with its version', () => {
        expect(row.image).toBeTruthy();
        expect(parseImageRef(row.image).tag).toBe(row.version);
      });

      it('has a range some Kubernetes minor picks it for', () => {
        expect(minorKey(row.kubernetes.min)).toBeLessThanOrEqual(minorKey(row.kubernetes.max));
        const pickedFor = minors.filter((m) => defaultCsiVersion(`v${m}.0`) === row.version);
        expect(pickedFor, `no Kubernetes minor picks ${row.version}`).not.toEqual([]);
      });
    });
  }
});

describe('every CPI release of the table', () => {
  for (const { kubernetes, cpi } of compatibilityTable().filter((r) => r.cpi)) {
    it(`${cpi} (Kubernetes ${kubernetes}) has an image tagged with its version`, () => {
      const r = resolveCpi(`v${kubernetes}.0`);
      expect(r.image).toBeTruthy();
      expect(parseImageRef(r.image!).tag).toBe(cpi);
    });
  }
});

const deps = (gitVersion: string): GenerateDeps => ({
  listDatacenters: async () => ['DC0'],
  kubeSystemUid: async () => '6f1c3e0a-1b2c-4d5e-8f90-123456789abc',
  kubernetesVersion: async () => gitVersion,
  verifyLogin: async () => undefined,
  applyObjects: async () => [],
});
const csiOpts = {
  settings: {
    url: 'https://vc.example.com/sdk',
    username: 'administrator@vsphere.local',
    password: new Secret('pw'),
    insecure: false,
  },
  datacenters: ['DC0'],
  credentials: {},
  verify: false,
  log: silentLogger,
  fileShareClusters: [],
  fileShareDatastoreUrls: [],
  topologyCategories: [],
  netPermissions: [],
};

describe('vk generate csi and vk install csi pick the same release', () => {
  for (const minor of minors.filter((m) => compatibilityTable().find((r) => r.kubernetes === m)?.csi)) {
    it(`on Kubernetes ${minor}`, async () => {
      const gitVersion = `v${minor}.2`;
      const plan = await planCsi(csiOpts, deps(gitVersion));
      expect(plan.version).toBe(resolveCsi(gitVersion).version);
    });
  }

  it('a pinned --csi-version wins over the cluster', async () => {
    const plan = await planCsi({ ...csiOpts, version: 'v3.3.1' }, deps('v1.35.2'));
    expect(plan.version).toBe('v3.3.1');
  });

  it('a Kubernetes minor outside the table is an error naming --csi-version', async () => {
    await expect(planCsi(csiOpts, deps('v1.20.1'))).rejects.toMatchObject({
      hint: expect.stringContaining('--csi-version'),
    });
  });
});
