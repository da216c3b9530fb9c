// The box's stand-in for kubelet's CSI plugin registration: when the vSphere
// CSI node DaemonSet's pod runs on a node, kubelet would register the
// driver and write the node's CSINode entry (nodeID = the VM UUID the
// driver reports, its topology keys) and the controller-managed
// attach/detach annotation. This writes the same objects; the topology
// segment of the node comes from `csi-standin topology <uuid>` with the
// csi-vsphere.conf of the driver's namespace, as the driver derives it from
// the tags of the VM's host.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RuntimeHost } from './runtime-host.js';
import type { Container, Pod } from './pod-spec.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are read as served */

const execFileP = promisify(execFile);
export const CSI_DRIVER_NAME = 'csi.vsphere.vmware.com';
const ATTACH_DETACH_ANNOTATION = 'volumes.kubernetes.io/controller-managed-attach-detach';
const TOPOLOGY_PREFIX = 'topology.csi.vmware.com/';
const CONFIG_SECRET = 'vsphere-config-secret';

export class CsiNodeWriter {
  /** pod key → node name */
  private readonly nodes = new Map<string, string>();

  constructor(
    private readonly host: RuntimeHost,
    private readonly standin: string,
    private readonly dir: string,
  ) {}

  private async topology(namespace: string, uuid: string): Promise<Record<string, string>> {
    const r = await this.host.api('GET', `/api/v1/namespaces/${namespace}/secrets/${CONFIG_SECRET}`);
    const conf = r.status === 200 ? r.body.data?.['csi-vsphere.conf'] : undefined;
    if (!conf) return {};
    const text = Buffer.from(conf, 'base64').toString('utf8');
    if (!/^\s*topology-categories\s*=\s*\S/m.test(text)) return {};
    const file = join(this.dir, `csinode-${uuid}.conf`);
    writeFileSync(file, text);
    const { stdout } = await execFileP(this.standin, ['topology', uuid], {
      env: { PATH: process.env.PATH, VSPHERE_CSI_CONFIG: file },
    });
    return JSON.parse(stdout) as Record<string, string>;
  }

  async podRunning(pod: Pod, _c: Container): Promise<void> {
    const nodeName = pod.spec.nodeName as string;
    const node = await this.host.api('GET', `/api/v1/nodes/${nodeName}`);
    if (node.status !== 200) return;
    const uuid = String(node.body.status?.nodeInfo?.systemUUID ?? '').toLowerCase();
    const segment = await this.topology(pod.metadata.namespace, uuid);
    const labels = Object.fromEntries(Object.entries(segment).filter(([k]) => k.startsWith(TOPOLOGY_PREFIX)));
    await this.host.api(
      'PATCH',
      `/api/v1/nodes/${nodeName}`,
      { metadata: { annotations: { [ATTACH_DETACH_ANNOTATION]: 'true' }, labels } },
      'application/merge-patch+json',
    );
    const entry = {
      name: CSI_DRIVER_NAME,
      nodeID: uuid,
      ...(Object.keys(segment).length ? { topologyKeys: Object.keys(segment).sort() } : {}),
    };
    const path = `/apis/storage.k8s.io/v1/csinodes/${nodeName}`;
    const existing = await this.host.api('GET', path);
    if (existing.status === 404) {
      await this.host.api('POST', '/apis/storage.k8s.io/v1/csinodes', {
        apiVersion: 'storage.k8s.io/v1',
        kind: 'CSINode',
        metadata: {
          name: nodeName,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.body.metadata.uid }],
        },
        spec: { drivers: [entry] },
      });
    } else {
      const drivers = (existing.body.spec?.drivers ?? []).filter((d: any) => d.name !== CSI_DRIVER_NAME);
      await this.host.api('PUT', path, { ...existing.body, spec: { drivers: [...drivers, entry] } });
    }
    this.nodes.set(`${pod.metadata.namespace}/${pod.metadata.name}`, nodeName);
  }

  /** The plugin is gone from the node: its CSINode entry goes too. */
  async podGone(podKey: string): Promise<void> {
    const nodeName = this.nodes.get(podKey);
    if (!nodeName) return;
    this.nodes.delete(podKey);
    const path = `/apis/storage.k8s.io/v1/csinodes/${nodeName}`;
    const existing = await this.host.api('GET', path);
    if (existing.status !== 200) return;
    const drivers = (existing.body.spec?.drivers ?? []).filter((d: any) => d.name !== CSI_DRIVER_NAME);
    await this.host.api('PUT', path, { ...existing.body, spec: { drivers } });
  }
}
