// Whether each node's InternalIP is one of the IPs vSphere reports for its
// VM (VMware Tools, guest.net), as the CPI picks it. A mismatch is the CPI
// (or kubelet's --node-ip) choosing the wrong NIC: the fix is the CPI's
// `nodes` options, which `vk install cpi` / `vk generate cpi` take.

import type { V1Node } from '@kubernetes/client-node';
import { CPI_NODE_OPTIONS } from '../drivers/cpi/config.js';
import { check, firstOf, type CheckResult } from '../doctor/checks.js';
import type { GuestIp, NodeMatch } from './node-vms.js';

const first = (items: string[]) => firstOf(items, 3, '; ');

/** The IPv4 subnet of an address, "10.0.0.0/16"; undefined for IPv6 or without a prefix length. */
export function ipv4Subnet(ip: string, prefixLength: number | undefined): string | undefined {
  const parts = ip.split('.').map(Number);
  if (prefixLength === undefined || parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return undefined;
  const value = parts.reduce((acc, p) => acc * 256 + p, 0);
  const size = 2 ** (32 - prefixLength);
  const base = Math.floor(value / size) * size;
  return `${[24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join('.')}/${prefixLength}`;
}

/** The CPI option that selects this IP: its subnet when known, else its network name. */
function fixFor(ip: GuestIp): string {
  const subnet = ipv4Subnet(ip.ip, ip.prefixLength);
  if (subnet) return `${CPI_NODE_OPTIONS.internalNetworkSubnetCidr} ${subnet}`;
  if (ip.network) return `${CPI_NODE_OPTIONS.internalVmNetworkName} "${ip.network}"`;
  return `${CPI_NODE_OPTIONS.internalNetworkSubnetCidr} CIDR`;
}

export function nodeAddressesCheck(nodes: V1Node[], matches: NodeMatch[]): CheckResult {
  const id = 'node-addresses';
  const byName = new Map(nodes.map((n) => [n.metadata!.name!, n]));
  const problems: string[] = [];
  let wanted: GuestIp | undefined;
  let checked = 0;
  let noIps = 0;
  for (const m of matches) {
    if (!m.vm) continue;
    const ips = m.vm.ips ?? [];
    if (ips.length === 0) {
      noIps++;
      continue;
    }
    checked++;
    const internal = (byName.get(m.node)?.status?.addresses ?? [])
      .filter((a) => a.type === 'InternalIP')
      .map((a) => a.address);
    const vmIps = ips.map((i) => i.ip);
    const wrong = internal.filter((a) => !vmIps.includes(a));
    if (internal.length === 0) problems.push(`${m.node} has no InternalIP (VM ${m.vm.name} has ${vmIps.join(', ')})`);
    else if (wrong.length > 0) {
      problems.push(`${m.node}: InternalIP ${wrong.join(', ')} is not an IP of VM ${m.vm.name} (${vmIps.join(', ')})`);
    }
    if ((internal.length === 0 || wrong.length > 0) && !wanted) wanted = ips[0];
  }
  const unread = noIps ? `; ${noIps} ${noIps === 1 ? 'VM reports' : 'VMs report'} no IP (VMware Tools)` : '';
  if (problems.length > 0) {
    return check(
      id,
      'fail',
      first(problems) + unread,
      `tell the CPI which NIC is internal: vk install cpi ${fixFor(wanted!)} (or ${CPI_NODE_OPTIONS.internalVmNetworkName}, ${CPI_NODE_OPTIONS.excludeInternalNetworkSubnetCidr}); with kubelet's --node-ip, set it to the VM's IP`,
    );
  }
  if (checked === 0) return check(id, 'skip', `no node VM reports an IP${unread}`);
  return check(id, 'pass', `${checked} node${checked === 1 ? '' : 's'} on an IP of their VM${unread}`);
}
