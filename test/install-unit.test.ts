// Pure logic of the install steps: the likely cause of an uninitialized node
// (from the CCM's log and the node), and the one-line verification errors.
import { describe, expect, it } from 'vitest';
import type { V1Node } from '@kubernetes/client-node';
import { cpiVerificationError, likelyCause, type InstallCpiResult } from '../src/lib/drivers/cpi/install.js';
import { lastErrorLine, logExcerpt } from '../src/lib/kube/logs.js';
import { csiVerificationError, type InstallCsiResult } from '../src/lib/drivers/csi/install.js';

const node = (name: string, uuid = 'abc'): V1Node => ({
  metadata: { name },
  spec: {},
  status: { nodeInfo: { systemUUID: uuid } as NonNullable<V1Node['status']>['nodeInfo'] },
});

describe('logExcerpt', () => {
  it("quotes the err value of a klog line, without klog's header", () => {
    const line =
      'E1202 21:54:12.786984   20100 node_controller.go:247] "Unhandled Error" err="error syncing \'k8s-node-0009\': failed to get instance metadata for node k8s-node-0009: \\"VM not found\\""';
    expect(logExcerpt(line)).toBe(
      'error syncing \'k8s-node-0009\': failed to get instance metadata for node k8s-node-0009: "VM not found"',
    );
  });
  it('finds the last error line of a log', () => {
    expect(
      lastErrorLine('I0101 starting\nE0101 12:00:00.000000 1 a.go:1] failed to login: Login failure\nI0101 retrying\n'),
    ).toBe('failed to login: Login failure');
    expect(lastErrorLine('only info\n')).toBe('only info');
    expect(lastErrorLine('')).toBeUndefined();
  });
  it('cuts long lines at 200 characters', () => {
    const out = logExcerpt(`I0101 00:00:00.000000 1 x.go:1] ${'a'.repeat(300)}`);
    expect(out).toHaveLength(200);
    expect(out.endsWith('…')).toBe(true);
  });
});

describe('likelyCause', () => {
  it('blames the credentials when the CCM cannot log in, quoting the line', () => {
    const log = ['I0101 started', 'E0101 Cannot complete login due to an incorrect user name or password'];
    const cause = likelyCause('w-1', node('w-1'), log, ['DC1']);
    expect(cause).toMatch(
      /^the CPI cannot log in to vCenter: wrong credentials in its Secret \(CCM log: "E0101 Cannot/,
    );
  });

  it('names the datacenters when the CCM did not find the VM of that node', () => {
    const log = ['E0101 discoverNodeByName: node w-2 not found', 'E0101 node w-3 not found'];
    expect(likelyCause('w-2', node('w-2'), log, ['DC1', 'DC2'])).toMatch(/^VM not found in DC1, DC2 \(CCM log: ".*w-2/);
  });

  it('points at disk.enableUUID when the node reports no UUID', () => {
    expect(likelyCause('w-4', node('w-4', ''), [], ['DC1'])).toMatch(/disk\.enableUUID=TRUE .* power-cycle/);
  });

  it('lists every likely cause when the log says nothing about the node', () => {
    const cause = likelyCause('w-5', node('w-5'), ['I0101 all good for w-6'], ['DC1']);
    expect(cause).toMatch(/not in DC1, disk\.enableUUID .* credentials .* logs ds\/vsphere-cloud-controller-manager/);
  });
});

describe('verification errors', () => {
  const base = {
    component: 'cpi' as const,
    version: 'v1.31.1',
    kubernetesVersion: 'v1.31.4',
    manifest: [],
    dryRun: 'none' as const,
    objects: [],
    pruned: [],
    rollouts: [],
  };

  it('CPI: none when every node is initialized; else one line naming each node and its cause', () => {
    const ok: InstallCpiResult = {
      ...base,
      verification: { nodes: [{ name: 'a', providerID: 'vsphere://1', initialized: true }] },
    };
    expect(cpiVerificationError(ok)).toBeUndefined();
    const bad: InstallCpiResult = {
      ...base,
      verification: {
        nodes: [
          { name: 'a', providerID: 'vsphere://1', initialized: true },
          { name: 'b', providerID: null, initialized: false, cause: 'VM not found in DC1' },
        ],
      },
    };
    expect(cpiVerificationError(bad)?.message).toBe('1 of 2 nodes not initialized by the CPI: b: VM not found in DC1');
  });

  it('CSI: names the missing CSIDriver and the nodes whose CSINode lacks the driver', () => {
    const r: InstallCsiResult = {
      ...base,
      component: 'csi',
      verification: {
        csiDriver: false,
        nodes: [
          { name: 'a', registered: true },
          { name: 'b', registered: false },
        ],
      },
    };
    expect(csiVerificationError(r)?.message).toBe(
      'the CSI driver is not registered: CSIDriver csi.vsphere.vmware.com does not exist; ' +
        'the CSINode of b does not list csi.vsphere.vmware.com',
    );
  });
});
