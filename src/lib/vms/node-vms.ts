// The VMs behind the cluster's nodes, matched as the CPI matches them, with
// what the node checks read of each VM and of the ESXi host it runs on. One
// PropertyCollector call for the VMs and one for the hosts, concurrently.

import type { V1Node } from '@kubernetes/client-node';
import type { VsphereSession } from '../vsphere/connect.js';
import type { AboutInfo, MoRef } from '../vsphere/types.js';
import { refKey } from '../vsphere/types.js';

/** One VM as the node checks need it. */
export interface NodeVm {
  name: string;
  uuid?: string;
  enableUUID?: string;
  /** Why disk.enableUUID (or another property doctor needs) could not be read: not the same as unset. */
  unreadable?: string;
  /** The host it runs on (refKey of runtime.host). */
  host?: string;
  /** Virtual hardware, "vmx-21". */
  hardware?: string;
  /** guest.toolsRunningStatus: "guestToolsRunning" when VMware Tools run. */
  tools?: string;
  /** Every IP VMware Tools report on the VM's NICs, with its NIC's network and prefix length. */
  ips?: GuestIp[];
}

export interface GuestIp {
  ip: string;
  network?: string;
  prefixLength?: number;
}

interface GuestNic {
  network?: string;
  ipAddress?: string[];
  ipConfig?: { ipAddress?: Array<{ ipAddress: string; prefixLength?: number }> };
}

function guestIps(nics: GuestNic[] | undefined): GuestIp[] {
  return (nics ?? []).flatMap((nic) =>
    (nic.ipAddress ?? []).map((ip) => ({
      ip,
      network: nic.network,
      prefixLength: nic.ipConfig?.ipAddress?.find((a) => a.ipAddress === ip)?.prefixLength,
    })),
  );
}

/** An ESXi host: its name and product (version, apiVersion). */
export interface NodeHost {
  name: string;
  product?: Pick<AboutInfo, 'version' | 'apiVersion' | 'fullName'>;
}

/** A node and the VM it runs on (undefined when none matches), and how it was matched. */
export interface NodeMatch {
  node: string;
  vm?: NodeVm;
  by?: 'providerID' | 'systemUUID' | 'name';
}

/** The UUID in a providerID `vsphere://<uuid>`, lower-cased; undefined for other providers. */
export function providerUuid(providerID: string | undefined): string | undefined {
  const m = /^vsphere:\/\/(.+)$/i.exec(providerID ?? '');
  return m ? m[1]!.toLowerCase() : undefined;
}

/**
 * Matches each node to its VM the way the CPI does: by the UUID in its
 * providerID, else the node's system UUID, else a VM with the node's name.
 * UUIDs compare case-insensitively.
 */
export function matchNodes(nodes: V1Node[], vms: NodeVm[]): NodeMatch[] {
  const byUuid = new Map<string, NodeVm>();
  const byName = new Map<string, NodeVm>();
  for (const vm of vms) {
    if (vm.uuid) byUuid.set(vm.uuid.toLowerCase(), vm);
    if (!byName.has(vm.name)) byName.set(vm.name, vm);
  }
  return nodes.map((n) => {
    const node = n.metadata!.name!;
    const pid = providerUuid(n.spec?.providerID);
    if (pid && byUuid.has(pid)) return { node, vm: byUuid.get(pid), by: 'providerID' as const };
    const sys = n.status?.nodeInfo?.systemUUID?.toLowerCase();
    if (sys && byUuid.has(sys)) return { node, vm: byUuid.get(sys), by: 'systemUUID' as const };
    if (byName.has(node)) return { node, vm: byName.get(node), by: 'name' as const };
    return { node };
  });
}

interface VmProps {
  name: string;
  'config.uuid': string;
  'config.template': boolean;
  'config.version': string;
  'runtime.host': MoRef;
  'guest.toolsRunningStatus': string;
  'guest.net': GuestNic[];
}

const containerOf = async (session: VsphereSession, folder: 'vmFolder' | 'hostFolder') =>
  session.options.datacenter ? (await session.datacenter())[folder] : session.client.sc.rootFolder;

/** Every VM of the datacenter(s) (templates left out) with what the node checks read. */
export async function readVms(session: VsphereSession): Promise<NodeVm[]> {
  const [{ retrieveFromContainer }, { retrieveWithExtraConfig }, { ENABLE_UUID_KEY }] = await Promise.all([
    import('../vsphere/property-collector.js'),
    import('../vsphere/extra-config.js'),
    import('./prepare-vms.js'),
  ]);
  const container = await containerOf(session, 'vmFolder');
  const read = await retrieveWithExtraConfig<VmProps>(
    session.client,
    [ENABLE_UUID_KEY],
    [
      'name',
      'config.uuid',
      'config.template',
      'config.version',
      'runtime.host',
      'guest.toolsRunningStatus',
      'guest.net',
    ],
    (paths) =>
      retrieveFromContainer<VmProps>(session.client, {
        container,
        type: 'VirtualMachine',
        paths: paths as Array<keyof VmProps & string>,
      }),
    (o) => o.props.name,
  );
  return read
    .filter(({ object: o }) => o.props['config.template'] !== true)
    .map(({ object: o, extraConfig }) => ({
      name: o.props.name ?? o.ref.value,
      uuid: o.props['config.uuid'],
      enableUUID: extraConfig.values[ENABLE_UUID_KEY],
      unreadable: extraConfig.unreadable?.message,
      host: o.props['runtime.host'] ? refKey(o.props['runtime.host']) : undefined,
      hardware: o.props['config.version'],
      tools: o.props['guest.toolsRunningStatus'],
      ips: guestIps(o.props['guest.net']),
    }));
}

interface HostProps {
  name: string;
  'config.product': AboutInfo;
}

/** Every ESXi host of the datacenter(s), keyed by refKey. */
export async function readHosts(session: VsphereSession): Promise<Map<string, NodeHost>> {
  const { retrieveFromContainer } = await import('../vsphere/property-collector.js');
  const hosts = await retrieveFromContainer<HostProps>(session.client, {
    container: await containerOf(session, 'hostFolder'),
    type: 'HostSystem',
    paths: ['name', 'config.product'],
  });
  return new Map(
    hosts.map((h) => [refKey(h.ref), { name: h.props.name ?? h.ref.value, product: h.props['config.product'] }]),
  );
}
