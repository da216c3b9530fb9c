import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  defaultClassCheck,
  imageTag,
  inTreeCheck,
  matchNodes,
  providerUuid,
  summarize,
  summaryLine,
} from '../src/lib/steps/doctor.js';

const node = (name: string, providerID?: string, systemUUID?: string): V1Node => ({
  metadata: { name },
  spec: providerID ? { providerID } : {},
  status: systemUUID ? { nodeInfo: { systemUUID } as never } : {},
});

describe('doctor helpers', () => {
  it('reads the UUID of vsphere:// providerIDs only', () => {
    expect(providerUuid('vsphere://4237A0B1-AAAA')).toBe('4237a0b1-aaaa');
    expect(providerUuid('aws:///us-east-1a/i-1')).toBeUndefined();
    expect(providerUuid(undefined)).toBeUndefined();
  });

  it('matches by providerID, then system UUID (case-insensitive), then name', () => {
    const vms = [
      { name: 'vm-a', uuid: '4237a0b1-0001' },
      { name: 'vm-b', uuid: '4237A0B1-0002' },
      { name: 'node-c', uuid: '4237a0b1-0003' },
    ];
    const m = matchNodes(
      [
        node('n1', 'vsphere://4237A0B1-0001', '4237a0b1-0002'),
        node('n2', undefined, '4237a0b1-0002'),
        node('node-c', 'vsphere://ffff', 'eeee'),
        node('ghost'),
      ],
      vms,
    );
    expect(m.map((x) => [x.node, x.vm?.name, x.by])).toEqual([
      ['n1', 'vm-a', 'providerID'],
      ['n2', 'vm-b', 'systemUUID'],
      ['node-c', 'node-c', 'name'],
      ['ghost', undefined, undefined],
    ]);
  });

  it('takes the tag of an image reference, not a registry port', () => {
    expect(imageTag('registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:v1.31.1')).toBe('v1.31.1');
    expect(imageTag('localhost:5000/ccm:v1.30.0@sha256:abc')).toBe('v1.30.0');
    expect(imageTag('localhost:5000/ccm')).toBeUndefined();
  });

  it('fails without a default class, warns on two defaults', () => {
    const sc = (name: string, provisioner: string, isDefault: boolean) => ({
      metadata: { name, annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
      provisioner,
    });
    expect(defaultClassCheck([sc('a', 'csi.vsphere.vmware.com', false)]).status).toBe('fail');
    expect(defaultClassCheck([sc('a', 'kubernetes.io/vsphere-volume', true)]).status).toBe('fail');
    expect(
      defaultClassCheck([sc('a', 'csi.vsphere.vmware.com', true), sc('b', 'csi.vsphere.vmware.com', true)]).status,
    ).toBe('warn');
    expect(defaultClassCheck([sc('a', 'csi.vsphere.vmware.com', true)]).status).toBe('pass');
  });

  it('warns on in-tree PVs', () => {
    const r = inTreeCheck([], [{ metadata: { name: 'pv-1' }, spec: { vsphereVolume: { volumePath: '[ds] x.vmdk' } } }]);
    expect(r.status).toBe('warn');
    expect(r.detail).toContain('pv-1');
  });

  it('summarizes', () => {
    const checks = [
      { id: 'a', title: 'a', status: 'pass' as const, detail: '' },
      { id: 'b', title: 'b', status: 'fail' as const, detail: '' },
      { id: 'c', title: 'c', status: 'pass' as const, detail: '' },
    ];
    expect(summaryLine({ checks, summary: summarize(checks) })).toBe('3 checks: 2 pass, 1 fail');
  });
});
