// The evaluation behind doctor's vsphere-version / vm-hardware / vmware-tools
// checks and install csi's refusal, on plain data: the paths the box's one
// old vCenter does not walk (ESXi-only gaps, feature-level warnings).
import { describe, expect, it } from 'vitest';
import { csiReleaseTable, csiVsphereMinimum } from '../src/lib/drivers/manifests/compatibility.js';
import type { NodeHost, NodeMatch } from '../src/lib/vms/node-vms.js';
import { vmHardwareCheck, vmwareToolsCheck, vsphereVersionCheck } from '../src/lib/doctor/vsphere-requirements.js';
import { parseVsphereVersion, vmHardwareNumber, vsphereLabel } from '../src/lib/vsphere/versions.js';

const release = { version: 'v3.8.0', why: 'the release for Kubernetes 1.36', minimum: csiVsphereMinimum('v3.8.0') };
const hosts = (versions: Record<string, string>) =>
  new Map<string, NodeHost>(
    Object.entries(versions).map(([name, apiVersion]) => [
      `HostSystem:${name}`,
      { name, product: { apiVersion } as never },
    ]),
  );
const on = (node: string, host: string, extra: Partial<NonNullable<NodeMatch['vm']>> = {}): NodeMatch => ({
  node,
  vm: { name: node, host: `HostSystem:${host}`, hardware: 'vmx-21', tools: 'guestToolsRunning', ...extra },
  by: 'providerID',
});

describe('vSphere versions', () => {
  it('reads apiVersion as the release users name', () => {
    expect(vsphereLabel('6.7.3')).toBe('6.7 U3');
    expect(vsphereLabel('8.0.3.0')).toBe('8.0 U3');
    expect(vsphereLabel('6.5')).toBe('6.5');
    expect(parseVsphereVersion('7.0.2.1')).toEqual({ major: 7, minor: 0, update: 2 });
    expect(parseVsphereVersion('eight')).toBeUndefined();
    expect(vmHardwareNumber('vmx-15')).toBe(15);
  });

  it('every CSI release of the table runs on vSphere 6.7 U3 or later; an unknown one gets the driver minimum', () => {
    for (const row of csiReleaseTable()) expect(row.vsphere, row.version).toEqual({ vcenter: '6.7.3', esxi: '6.7.3' });
    expect(csiVsphereMinimum('v9.9.9')).toEqual({ vcenter: '6.7.3', esxi: '6.7.3' });
  });

  it('fails on an old ESXi host alone, naming the host and its nodes', () => {
    const r = vsphereVersionCheck({
      vcenter: { apiVersion: '8.0.3.0', version: '8.0.3' },
      release,
      matches: [on('n1', 'h1'), on('n2', 'h2'), on('n3', 'h2')],
      hosts: hosts({ h1: '8.0.2.0', h2: '6.7.2' }),
    });
    expect(r.status).toBe('fail');
    expect(r.detail).toBe(
      'ESXi h2 6.7 U2 (n2, n3): older than 6.7 U3, the oldest the vSphere CSI driver v3.8.0 (the release for Kubernetes 1.36) runs on (its controller exits at start)',
    );
    expect(r.fix).toMatch(/^upgrade those hosts to ESXi 6.7 U3 or later/);
  });

  it('warns for features an older vCenter lacks, naming each with its release and what not to use', () => {
    const r = vsphereVersionCheck({
      vcenter: { apiVersion: '7.0.2.0', version: '7.0.2' },
      release,
      matches: [on('n1', 'h1')],
      hosts: hosts({ h1: '8.0.2.0' }),
    });
    expect(r.status).toBe('warn');
    expect(r.detail).toContain('volume snapshots (7.0 U3; vCenter 7.0 U2)');
    expect(r.detail).toContain('ReadWriteMany volumes on vSAN Max or HCI Mesh (8.0 U3; vCenter 7.0 U2)');
    expect(r.detail).not.toContain('expansion');
    expect(r.fix).toBe(
      'upgrade vCenter to 8.0 U3 for those features; until then do not use VolumeSnapshot, --access-mode RWX on those datastores',
    );
  });

  it('warns when a host, not vCenter, keeps a feature away, and not for vCenter-only features', () => {
    const r = vsphereVersionCheck({
      vcenter: { apiVersion: '8.0.3.0', version: '8.0.3' },
      release,
      matches: [on('n1', 'h1'), on('n2', 'h2')],
      hosts: hosts({ h1: '8.0.2.0', h2: '7.0.1.0' }),
    });
    expect(r.status).toBe('warn');
    expect(r.detail).toBe(
      'the vSphere CSI driver v3.8.0 (the release for Kubernetes 1.36) runs, but without online volume expansion (7.0 U2; ESXi h2 7.0 U1), volume snapshots (7.0 U3; ESXi h2 7.0 U1)',
    );
    expect(r.fix).toMatch(/^upgrade vCenter and the hosts to 7.0 U3/);
  });

  it('passes a current vSphere, listing the host versions', () => {
    const r = vsphereVersionCheck({
      vcenter: { apiVersion: '8.0.3.0', version: '8.0.3' },
      release,
      matches: [on('n1', 'h1'), on('n2', 'h2'), { node: 'ghost' }],
      hosts: hosts({ h1: '8.0.2.0', h2: '8.0.3.0' }),
    });
    expect(r).toMatchObject({ status: 'pass' });
    expect(r.detail).toMatch(/^vCenter 8.0 U3, ESXi 8.0 U2, 8.0 U3 on 2 hosts: /);
  });

  it('fails virtual hardware below 15 and VMware Tools not running, naming the VMs', () => {
    const matches = [
      on('n1', 'h1', { hardware: 'vmx-13' }),
      on('n2', 'h1', { tools: 'guestToolsNotRunning' }),
      on('n3', 'h1'),
    ];
    const hw = vmHardwareCheck(matches);
    expect(hw).toMatchObject({ status: 'fail', detail: 'n1 (vmx-13): the CSI driver needs vmx-15 or later' });
    expect(hw.fix).toContain('govc vm.upgrade -version=15 -vm NAME');
    const tools = vmwareToolsCheck(matches);
    expect(tools.status).toBe('fail');
    expect(tools.detail).toBe(
      'not running on n2 (guestToolsNotRunning): the CPI reads node addresses from VMware Tools',
    );
    expect(vmHardwareCheck([on('n3', 'h1')])).toMatchObject({ status: 'pass', detail: '1 node VM at vmx-21' });
  });
});

describe('node addresses', () => {
  it('names the IPv4 subnet of a VM address for the CPI option', async () => {
    const { ipv4Subnet } = await import('../src/lib/vms/node-addresses.js');
    expect(ipv4Subnet('10.0.3.7', 16)).toBe('10.0.0.0/16');
    expect(ipv4Subnet('192.168.10.200', 25)).toBe('192.168.10.128/25');
    expect(ipv4Subnet('10.0.3.7', undefined)).toBeUndefined();
    expect(ipv4Subnet('fd00::1', 64)).toBeUndefined();
  });

  it('checks only nodes whose VMs report an IP, and suggests the network name without a prefix length', async () => {
    const { nodeAddressesCheck } = await import('../src/lib/vms/node-addresses.js');
    const nodes = [
      { metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.5' }] } },
      { metadata: { name: 'n2' }, status: { addresses: [] } },
    ];
    const matches: NodeMatch[] = [
      { node: 'n1', vm: { name: 'vm1', ips: [{ ip: '10.1.0.5', network: 'k8s-net' }] } },
      { node: 'n2', vm: { name: 'vm2', ips: [] } },
    ];
    const r = nodeAddressesCheck(nodes, matches);
    expect(r.status).toBe('fail');
    expect(r.detail).toBe(
      'n1: InternalIP 192.168.1.5 is not an IP of VM vm1 (10.1.0.5); 1 VM reports no IP (VMware Tools)',
    );
    expect(r.fix).toContain('vk install cpi --internal-vm-network-name "k8s-net"');
  });
});
