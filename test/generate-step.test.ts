// The generate step with stand-in vCenter/Kubernetes dependencies: where
// defaults come from, that validation runs before any request, that driver
// credentials are checked once, and that apply receives the real values.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/lib/cli/logger.js';
import { Secret } from '../src/lib/core/secret.js';
import { UsageError, VkError } from '../src/lib/core/errors.js';
import { applyGenerated, planCpi, planCsi, type GenerateDeps } from '../src/lib/drivers/generate.js';
import type { RevealedObject } from '../src/lib/drivers/config-objects.js';

function fakeDeps(over: Partial<GenerateDeps> = {}) {
  const calls: string[] = [];
  const applied: RevealedObject[][] = [];
  const deps: GenerateDeps = {
    listDatacenters: async () => (calls.push('listDatacenters'), ['DC-A', 'DC B']),
    kubeSystemUid: async () => (calls.push('kubeSystemUid'), '6f1c3e0a-1b2c-4d5e-8f90-123456789abc'),
    verifyLogin: async (user) => void calls.push(`verifyLogin ${user}`),
    applyObjects: async (objs) => {
      applied.push(objs);
      return objs.map((o) => ({
        kind: o.kind,
        namespace: o.metadata.namespace,
        name: o.metadata.name,
        action: 'created',
      }));
    },
    ...over,
  };
  return { deps, calls, applied };
}

const settings = {
  url: 'https://vc.example.com/sdk',
  username: 'administrator@vsphere.local',
  password: new Secret('admin-pw'),
  insecure: false,
};
const csiOpts = {
  settings,
  datacenters: [] as string[],
  credentials: {},
  verify: true,
  log: silentLogger,
  fileShareClusters: [],
  fileShareDatastoreUrls: [],
  topologyCategories: [],
  netPermissions: [],
};
const conf = (plan: { objects: unknown[] }) => JSON.stringify(plan.objects);

describe('generate step', () => {
  it('uses every datacenter and a cluster-id from the kube-system UID when none are given', async () => {
    const { deps, calls } = fakeDeps();
    const a = await planCsi(csiOpts, deps);
    const b = await planCsi(csiOpts, deps);
    expect(conf(a)).toContain('datacenters = \\"DC-A,DC B\\"');
    expect(conf(a)).toMatch(/cluster-id = \\"vk-[0-9a-f]{32}\\"/);
    expect(conf(a)).toBe(conf(b));
    expect(calls).toEqual(['listDatacenters', 'kubeSystemUid', 'listDatacenters', 'kubeSystemUid']);
  });

  it('prefers the session datacenter (GOVC_DATACENTER) to listing them', async () => {
    const { deps, calls } = fakeDeps();
    const plan = await planCpi({ ...csiOpts, settings: { ...settings, datacenter: 'DC-S' } }, deps);
    expect(conf(plan)).toContain('DC-S');
    expect(calls).toEqual([]);
  });

  it('rejects bad input before any request', async () => {
    const { deps, calls } = fakeDeps();
    const bad = { ...csiOpts, credentials: { username: 'bob', password: new Secret('x') } };
    await expect(planCsi(bad, deps)).rejects.toThrow(UsageError);
    await expect(planCsi({ ...csiOpts, clusterId: 'x'.repeat(65) }, deps)).rejects.toThrow(/at most 64/);
    expect(calls).toEqual([]);
  });

  it('checks explicitly given driver credentials once, and not with --no-verify', async () => {
    const { deps, calls } = fakeDeps();
    const creds = { username: 'csi@vsphere.local', password: new Secret('csi-pw') };
    await planCsi({ ...csiOpts, datacenters: ['DC'], clusterId: 'c', credentials: creds }, deps);
    expect(calls).toEqual(['verifyLogin csi@vsphere.local']);
    calls.length = 0;
    await planCsi({ ...csiOpts, datacenters: ['DC'], clusterId: 'c', credentials: creds, verify: false }, deps);
    await planCsi({ ...csiOpts, datacenters: ['DC'], clusterId: 'c' }, deps);
    expect(calls).toEqual([]);
  });

  it('names the CSI privileges when the check fails', async () => {
    const { deps } = fakeDeps({
      verifyLogin: async () => {
        throw new Error('Cannot complete login due to an incorrect user name or password');
      },
    });
    const creds = { username: 'csi@vsphere.local', password: new Secret('csi-pw') };
    const err = await planCsi({ ...csiOpts, datacenters: ['DC'], clusterId: 'c', credentials: creds }, deps).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VkError);
    expect((err as VkError).message).toMatch(/CSI credentials of csi@vsphere.local do not work/);
    expect((err as VkError).hint).toMatch(/Datastore > Low level file operations/);
  });

  it('names the first three privileges the CSI user lacks, then how many more, and the command that grants them', async () => {
    const missing = [
      'Cns.Searchable on /',
      'StorageProfile.View on /',
      'Datastore.FileManagement on /DC/datastore/ds',
      'VirtualMachine.Config.AddExistingDisk on /DC/vm/k8s',
      'VirtualMachine.Config.AddRemoveDevice on /DC/vm/k8s',
    ];
    const { deps } = fakeDeps({ missingCsiPrivileges: async () => ({ missing, fix: 'vk roles create --csi' }) });
    const creds = { username: 'csi@vsphere.local', password: new Secret('csi-pw') };
    const err = await planCsi({ ...csiOpts, datacenters: ['DC'], clusterId: 'c', credentials: creds }, deps).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VkError);
    expect((err as VkError).message).toBe(
      'the CSI user csi@vsphere.local lacks privileges the driver needs: Cns.Searchable on /, StorageProfile.View on /, Datastore.FileManagement on /DC/datastore/ds and 2 more',
    );
    expect((err as VkError).hint).toBe('grant them with: vk roles create --csi (or skip the check with --no-verify)');
  });

  it('applies the real values, in order', async () => {
    const { deps, applied } = fakeDeps();
    const plan = await planCpi({ ...csiOpts, datacenters: ['DC'] }, deps);
    const results = await applyGenerated(plan, deps);
    expect(results.map((r) => `${r.kind}/${r.name}`)).toEqual([
      'Secret/vsphere-cloud-secret',
      'ConfigMap/vsphere-cloud-config',
    ]);
    expect(JSON.stringify(applied[0])).toContain('admin-pw');
    expect(JSON.stringify(plan.objects)).not.toContain('admin-pw');
  });
});
