import { describe, expect, it } from 'vitest';
import {
  CHECK_IDS,
  check,
  csiPrivilegesTitle,
  NEEDS_KUBE,
  NEEDS_NODE_VMS,
  skipped,
  VSPHERE_REQUIREMENTS,
} from '../src/lib/doctor/checks.js';
import { MIN_VM_HARDWARE } from '../src/lib/drivers/manifests/compatibility.js';

describe('the doctor check registry', () => {
  it('lists the groups in the order vk doctor prints them', () => {
    expect([
      'vcenter',
      'kubernetes',
      'datacenters',
      ...NEEDS_NODE_VMS,
      ...VSPHERE_REQUIREMENTS,
      'zone-tags',
      'vsan-file-services',
      ...NEEDS_KUBE,
      'csi-privileges',
    ]).toEqual(CHECK_IDS);
  });

  it('titles vm-hardware with the minimum virtual hardware', () => {
    expect(check('vm-hardware', 'pass', '').title).toBe(`Node VMs at virtual hardware ${MIN_VM_HARDWARE} or later`);
  });

  it('builds results with the title from the table, fix only when given', () => {
    expect(check('cpi', 'fail', 'not found', 'vk install cpi')).toStrictEqual({
      id: 'cpi',
      title: 'vSphere CPI running',
      status: 'fail',
      detail: 'not found',
      fix: 'vk install cpi',
    });
    expect(Object.keys(check('cpi', 'pass', 'ok'))).toEqual(['id', 'title', 'status', 'detail']);
    expect(skipped(['cpi-drift', 'csi-drift'], 'Kubernetes not reachable')).toStrictEqual([
      {
        id: 'cpi-drift',
        title: 'vSphere CPI release and images match the table and its manifest',
        status: 'skip',
        detail: 'Kubernetes not reachable',
      },
      {
        id: 'csi-drift',
        title: 'vSphere CSI release and images match the table and its manifest',
        status: 'skip',
        detail: 'Kubernetes not reachable',
      },
    ]);
  });

  it('names the user in the title of csi-privileges', () => {
    const title = csiPrivilegesTitle('k8s-csi@vsphere.local');
    expect(check('csi-privileges', 'skip', 'vCenter not reachable', undefined, title).title).toBe(
      'CSI user k8s-csi@vsphere.local holds the privileges the driver needs',
    );
  });
});
