// `vk storageclass create … --default && vk smoke-test --junit …` in the box
// with vk's CSI install: the claim is provisioned by the real csi-provisioner
// through the CSI stand-in as a CNS volume in vcsim, so the CNS check passes
// and names the datastore; a class on a datastore that not every node's host
// mounts (vcsim's -ds-partial NFS datastore) never binds, and the smoke test
// reports the provisioner's ProvisioningFailed event.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { useCsiBox } from './support/csi-box.js';

const csi = useCsiBox({
  vcsim: { cluster: 1, host: 3, ds: 1, dsPartial: 1, folder: '/DC0/vm/k8s', folderVms: 3 },
});
const tmp = mkdtempSync(join(tmpdir(), 'vk-smoke-vcsim-'));

describe('vk smoke-test with vCenter', () => {
  it('storageclass create --default, then smoke-test --junit passes and reports the CNS datastore', async () => {
    const create = await csi.vk(['storageclass', 'create', 'vsphere', '--datastore', 'LocalDS_0', '--default']);
    expect(create.code, create.stderr).toBe(0);

    const junit = join(tmp, 'report.xml');
    const r = await csi.vk(['smoke-test', '--junit', junit, '-o', 'json']);
    expect(r.stderr).not.toContain('error:');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.storageClass).toBe('vsphere');
    const cns = doc.steps.find((s: { name: string }) => s.name === 'cns-volume');
    expect(cns.status).toBe('passed');
    expect(doc.volume.datastore).toBe('LocalDS_0');
    expect(cns.message).toContain('on datastore LocalDS_0');
    // The volume the real provisioner created is the one whose disk holds the token.
    expect(readFileSync(join(csi.box.dir, 'volumes', doc.volume.volumeHandle, 'vk-smoke-token'), 'utf8')).toMatch(
      /^[0-9a-f]{32}$/,
    );

    const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(junit, 'utf8'))
      .testsuites.testsuite;
    expect(suite.tests).toBe('6');
    expect(suite.failures).toBe('0');
    expect(suite.skipped).toBe('0');
    const props = Object.fromEntries(
      (suite.properties.property as { name: string; value: string }[]).map((p) => [p.name, p.value]),
    );
    expect(props.datastore).toBe('LocalDS_0');
    expect(props.volumeHandle).toBe(doc.volume.volumeHandle);
    const namespaces = (await csi.box.getJson('/api/v1/namespaces')).items as { metadata: { name: string } }[];
    expect(namespaces.filter((n) => n.metadata.name.startsWith('vk-smoke-'))).toEqual([]);
  }, 300_000);

  it('a class on a datastore not mounted on every node host: exit 1 with the provisioner failure, nothing left in vCenter', async () => {
    const before = (await csi.cnsVolumes()).length;
    const sc = await csi.vk(['storageclass', 'create', 'partial', '--datastore', 'PartialNFS_0']);
    expect(sc.code, sc.stderr).toBe(0);
    const r = await csi.vk(['smoke-test', '--storage-class', 'partial', '--timeout', '30s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: smoke test failed: PersistentVolumeClaim bound .*still Pending, not Bound after 30s/,
    );
    expect(r.stderr).toContain('ProvisioningFailed');
    expect(r.stderr).toMatch(/is not accessible to all nodes/);
    expect((await csi.cnsVolumes()).length).toBe(before);
  }, 300_000);
});
