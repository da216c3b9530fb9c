// What vSphere must offer before the drivers can run: vCenter and the ESXi
// hosts of the node VMs at the CSI release's minimum (and the features that
// need more), node VMs at virtual hardware 15 or later, and VMware Tools
// running (the CPI reads node addresses from them). Plain evaluation of
// what node-vms.ts read; `vk doctor` reports it, `vk install csi` refuses on it.

import type { V1Node } from '@kubernetes/client-node';
import { VkError } from '../core/errors.js';
import type { VsphereSession } from '../vsphere/connect.js';
import {
  CSI_VSPHERE_FEATURES,
  csiVsphereMinimum,
  kubernetesMinor,
  MIN_VM_HARDWARE,
  newestCsiRelease,
  resolveCsi,
} from '../drivers/manifests/compatibility.js';
import type { AboutInfo } from '../vsphere/types.js';
import {
  atLeast,
  compareVsphere,
  parseVsphereVersion,
  type VsphereVersion,
  vmHardwareNumber,
  vsphereLabel,
} from '../vsphere/versions.js';
import { check, firstOf, type CheckResult } from './checks.js';
import type { NodeHost, NodeMatch } from '../vms/node-vms.js';

const nodeVms = (n: number) => `${n} node VM${n === 1 ? '' : 's'}`;

export interface VersionInput {
  vcenter: Pick<AboutInfo, 'apiVersion' | 'version'>;
  /** The CSI release checked against; its minimum comes from the table (csiVsphereMinimum). */
  release: CheckedRelease;
  matches: NodeMatch[];
  hosts: Map<string, NodeHost>;
}

interface HostVersion {
  name: string;
  version: VsphereVersion;
  nodes: string[];
}

/** The hosts the node VMs run on, with their version; hosts whose product cannot be read are listed apart. */
function nodeHosts(matches: NodeMatch[], hosts: Map<string, NodeHost>): { read: HostVersion[]; unread: string[] } {
  const byHost = new Map<string, string[]>();
  for (const m of matches) {
    if (m.vm?.host) byHost.set(m.vm.host, [...(byHost.get(m.vm.host) ?? []), m.node]);
  }
  const read: HostVersion[] = [];
  const unread: string[] = [];
  for (const [key, nodes] of byHost) {
    const host = hosts.get(key);
    const version = parseVsphereVersion(host?.product?.apiVersion);
    if (host && version) read.push({ name: host.name, version, nodes });
    else unread.push(host?.name ?? key);
  }
  return { read: read.sort((a, b) => compareVsphere(a.version, b.version) || a.name.localeCompare(b.name)), unread };
}

export function vsphereVersionCheck(input: VersionInput): CheckResult {
  const id = 'vsphere-version';
  const { release } = input;
  const vc = parseVsphereVersion(input.vcenter.apiVersion);
  if (!vc) {
    return check(id, 'warn', `cannot read vCenter's version ("${input.vcenter.apiVersion}")`);
  }
  const min = csiVsphereMinimum(release.version);
  const driver = `the vSphere CSI driver ${release.version} (${release.why})`;
  const { read, unread } = nodeHosts(input.matches, input.hosts);
  // Every shortfall at once: an admin planning the upgrade wants the whole list.
  const short: string[] = [];
  const fixes: string[] = [];
  if (!atLeast(vc, min.vcenter)) {
    short.push(`vCenter ${vsphereLabel(vc)} (apiVersion ${input.vcenter.apiVersion})`);
    fixes.push(`upgrade vCenter to ${vsphereLabel(min.vcenter)} or later`);
  }
  const old = read.filter((h) => !atLeast(h.version, min.esxi));
  if (old.length > 0) {
    short.push(`ESXi ${firstOf(old.map((h) => `${h.name} ${vsphereLabel(h.version)} (${firstOf(h.nodes, 3)})`))}`);
    fixes.push(`upgrade those hosts to ESXi ${vsphereLabel(min.esxi)} or later, or move the node VMs to newer hosts`);
  }
  if (short.length > 0) {
    const oldest =
      min.vcenter === min.esxi
        ? vsphereLabel(min.vcenter)
        : `vCenter ${vsphereLabel(min.vcenter)} and ESXi ${vsphereLabel(min.esxi)}`;
    return check(
      id,
      'fail',
      `${short.join('; ')}: older than ${oldest}, the oldest ${driver} runs on (its controller exits at start)`,
      fixes.join('; '),
    );
  }
  // A feature needs vCenter (and, for most, every node VM's host) at its
  // release: the oldest of those decides.
  const oldestHost = read[0];
  const hostOlder = oldestHost !== undefined && compareVsphere(oldestHost.version, vc) < 0;
  const gaps = CSI_VSPHERE_FEATURES.flatMap((f) => {
    if (!atLeast(vc, f.vsphere)) return [{ f, host: false, who: `vCenter ${vsphereLabel(vc)}` }];
    if (f.scope === 'vcenter+esxi' && hostOlder && !atLeast(oldestHost.version, f.vsphere)) {
      return [{ f, host: true, who: `ESXi ${oldestHost.name} ${vsphereLabel(oldestHost.version)}` }];
    }
    return [];
  });
  const missing = gaps.map((g) => g.f);
  const hostsText =
    read.length === 0
      ? 'no node VM host read'
      : `ESXi ${[...new Set(read.map((h) => vsphereLabel(h.version)))].join(', ')} on ${read.length} host${read.length === 1 ? '' : 's'}`;
  const unreadText = unread.length ? `; version of ${firstOf(unread)} unreadable` : '';
  if (missing.length > 0) {
    const newest = missing[missing.length - 1]!.vsphere;
    return check(
      id,
      'warn',
      `${driver} runs, but without ${gaps.map((g) => `${g.f.feature} (${vsphereLabel(g.f.vsphere)}; ${g.who})`).join(', ')}${unreadText}`,
      `upgrade vCenter${gaps.some((g) => g.host) ? ' and the hosts' : ''} to ${vsphereLabel(newest)} for those features; until then do not use ${missing.map((f) => f.usedBy).join(', ')}`,
    );
  }
  return check(
    id,
    unread.length ? 'warn' : 'pass',
    `vCenter ${vsphereLabel(vc)}, ${hostsText}: ${driver} and all its features${unreadText}`,
  );
}

export function vmHardwareCheck(matches: NodeMatch[]): CheckResult {
  const id = 'vm-hardware';
  const vms = matches.filter((m) => m.vm);
  const old = vms.filter((m) => {
    const n = vmHardwareNumber(m.vm!.hardware);
    return n !== undefined && n < MIN_VM_HARDWARE;
  });
  const unread = vms.filter((m) => vmHardwareNumber(m.vm!.hardware) === undefined);
  if (old.length > 0) {
    return check(
      id,
      'fail',
      `${firstOf(old.map((m) => `${m.vm!.name} (${m.vm!.hardware})`))}: the CSI driver needs vmx-${MIN_VM_HARDWARE} or later`,
      `power each off and upgrade it: govc vm.upgrade -version=${MIN_VM_HARDWARE} -vm NAME`,
    );
  }
  if (unread.length > 0) {
    return check(id, 'warn', `cannot read the virtual hardware of ${firstOf(unread.map((m) => m.vm!.name))}`);
  }
  const versions = [...new Set(vms.map((m) => m.vm!.hardware!))].sort();
  return check(
    id,
    vms.length ? 'pass' : 'skip',
    vms.length ? `${nodeVms(vms.length)} at ${versions.join(', ')}` : 'no node matched to a VM',
  );
}

export function vmwareToolsCheck(matches: NodeMatch[]): CheckResult {
  const id = 'vmware-tools';
  const vms = matches.filter((m) => m.vm);
  const off = vms.filter((m) => m.vm!.tools !== 'guestToolsRunning');
  if (off.length > 0) {
    return check(
      id,
      'fail',
      `not running on ${firstOf(off.map((m) => `${m.vm!.name} (${m.vm!.tools ?? 'unknown'})`))}: the CPI reads node addresses from VMware Tools`,
      'power the VM on and run open-vm-tools in its guest (systemctl enable --now open-vm-tools)',
    );
  }
  return check(
    id,
    vms.length ? 'pass' : 'skip',
    vms.length
      ? `running on ${vms.length === 1 ? 'the node VM' : `all ${nodeVms(vms.length)}`}`
      : 'no node matched to a VM',
  );
}

/** The release a check is against: "v3.8.0" and why that one ("--version", "the release for Kubernetes 1.36"). */
export interface CheckedRelease {
  version: string;
  why: string;
}

/** The CSI release vk's table installs on a cluster of this version; the newest it knows when unknown or outside the table. */
export function tableCsiRelease(gitVersion: string | undefined): CheckedRelease {
  if (gitVersion !== undefined) {
    try {
      return {
        version: resolveCsi(gitVersion).version,
        why: `the release for Kubernetes ${kubernetesMinor(gitVersion)}`,
      };
    } catch {
      // Outside the table: the install names that problem itself.
    }
  }
  return { version: newestCsiRelease(), why: 'the newest vk knows' };
}

/**
 * Reads vCenter, the node VMs and their hosts (two PropertyCollector calls,
 * concurrently) and evaluates all three requirements for these nodes.
 */
export async function checkVsphereRequirements(
  session: VsphereSession,
  nodes: V1Node[],
  release: CheckedRelease,
): Promise<CheckResult[]> {
  const { matchNodes, readHosts, readVms } = await import('../vms/node-vms.js');
  const [vms, hosts] = await Promise.all([readVms(session), readHosts(session)]);
  const matches = matchNodes(nodes, vms);
  return [
    vsphereVersionCheck({
      vcenter: session.about,
      release,
      matches,
      hosts,
    }),
    vmHardwareCheck(matches),
    vmwareToolsCheck(matches),
  ];
}

/**
 * `vk install csi`'s preflight: refuses (before anything is applied) when
 * vCenter, a node VM's host or a node VM's hardware cannot run the release;
 * warns for missing VMware Tools (the CPI's need) and feature-level gaps.
 */
export async function refuseUnsupportedVsphere(
  session: VsphereSession,
  nodes: V1Node[],
  release: CheckedRelease,
  opts: { warn: (message: string) => void; hint: string },
): Promise<void> {
  const results = await checkVsphereRequirements(session, nodes, release);
  const refused = results.filter((r) => r.status === 'fail' && r.id !== 'vmware-tools');
  if (refused.length > 0) {
    throw new VkError(refused.map((r) => r.detail).join('; '), {
      hint: `${refused.map((r) => r.fix).join('; ')}; or pass ${opts.hint}`,
    });
  }
  for (const r of results) {
    if (r.status === 'warn' || r.status === 'fail') opts.warn(`${r.detail}${r.fix ? ` (${r.fix})` : ''}`);
  }
}
