import type { V1Node, V1StorageClass } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  defaultClassCheck,
  imageTag,
  inTreeCheck,
  matchNodes,
  providerUuid,
  summarize,
  summaryLine,
} from '../src/lib/doctor/doctor.js';
import {
  clusterIdCheck,
  domainOf,
  storageClassDatastoreCheck,
  tlsTrustCheck,
  userDomainResult,
  userHasDomain,
} from '../src/lib/doctor/drivers.js';
import { iniValue, parseIni } from '../src/lib/drivers/ini.js';
import { check } from '../src/lib/doctor/checks.js';
import { parseCpiConf, parseCsiConf, type DriverVcenter } from '../src/lib/drivers/driver-config.js';
import type { VsphereSession } from '../src/lib/vsphere/connect.js';
import { isGenericClusterId } from '../src/lib/drivers/csi/cluster-id.js';

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
    const sc = (name: string, provisioner: string, isDefault: boolean): V1StorageClass => ({
      metadata: {
        name,
        annotations: isDefault
          ? { 'storageclass.kubernetes.io/is-default-class': 'true' }
          : ({} as Record<string, string>),
      },
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
    const checks = [check('vcenter', 'pass', ''), check('kubernetes', 'fail', ''), check('datacenters', 'pass', '')];
    expect(summaryLine({ checks, summary: summarize(checks) })).toBe('3 checks: 2 pass, 1 fail');
  });
});

describe('driver config parsing', () => {
  it('reads gcfg INI: quoted values with escapes and comment characters, bare booleans, comments', () => {
    const [g, vc] = parseIni(
      [
        '; comment',
        '[Global]',
        'cluster-id = "a;b#c \\"q\\""  ; trailing comment',
        'Insecure-Flag',
        '[VirtualCenter "vc.example.com"]',
        'user = plain value # comment',
      ].join('\n'),
    );
    expect(iniValue(g, 'cluster-id')).toBe('a;b#c "q"');
    expect(iniValue(g, 'insecure-flag')).toBe('true');
    expect(vc!.subsection).toBe('vc.example.com');
    expect(iniValue(vc, 'USER')).toBe('plain value');
    expect(() => parseIni('[Global]\n= x')).toThrow(/line 2/);
  });

  it('reads csi-vsphere.conf, vCenter entries inheriting [Global]', () => {
    const conf = parseCsiConf(
      [
        '[Global]',
        'cluster-id = "prod-1"',
        'thumbprint = "AA:BB"',
        'port = "443"',
        '[VirtualCenter "vc1"]',
        'user = "k8s-csi@vsphere.local"',
        'password = "x"',
        'datacenters = "DC0, DC1"',
        'insecure-flag = "false"',
      ].join('\n'),
      'test',
    );
    expect(conf.clusterId).toBe('prod-1');
    expect(conf.vcenters).toEqual([
      {
        server: 'vc1',
        port: 443,
        datacenters: ['DC0', 'DC1'],
        insecure: false,
        thumbprint: 'AA:BB',
        caFile: undefined,
        user: 'k8s-csi@vsphere.local',
        fileShareClusters: [],
        fileShareDatastoreUrls: [],
      },
    ]);
    expect(parseCsiConf('[VirtualCenter "vc1"]\nuser = "u@d"', 'test').clusterId).toBe('');
  });

  it('reads the CPI vsphere.conf in YAML and in the legacy INI format', async () => {
    const yaml = await parseCpiConf(
      'global:\n  port: 443\n  insecureFlag: true\nvcenter:\n  vc1:\n    server: vc1.example.com\n    datacenters: [DC0]\n',
      'test',
    );
    expect(yaml.vcenters).toEqual([
      {
        server: 'vc1.example.com',
        port: 443,
        datacenters: ['DC0'],
        insecure: true,
        thumbprint: undefined,
        caFile: undefined,
      },
    ]);
    const ini = await parseCpiConf(
      '[Global]\ninsecure-flag = "true"\n[VirtualCenter "vc2"]\ndatacenters = "DC1"\n',
      'test',
    );
    expect(ini.vcenters.map((v) => [v.server, v.datacenters, v.insecure])).toEqual([['vc2', ['DC1'], true]]);
  });
});

describe('driver config checks', () => {
  it('calls generic cluster-ids generic, unique ones not', () => {
    for (const id of [
      'kubernetes',
      'k8s',
      'Cluster',
      'cluster1',
      'cluster-2',
      'default',
      'demo',
      'test',
      'my-cluster',
    ]) {
      expect(isGenericClusterId(id), id).toBe(true);
    }
    for (const id of ['prod-eu-1', 'vk-0123456789abcdef', 'payments-k8s'])
      expect(isGenericClusterId(id), id).toBe(false);
  });

  it('cluster-id: generic warns with the suggested id, absent passes, no CSI config skips', () => {
    const csi = (clusterId: string) => ({
      ok: true as const,
      value: { driver: 'csi' as const, source: 's', vcenters: [], clusterId },
    });
    const warn = clusterIdCheck(csi('kubernetes'), isGenericClusterId, 'vk-abc');
    expect(warn.status).toBe('warn');
    expect(warn.fix).toContain('cluster-id = "vk-abc"');
    expect(clusterIdCheck(csi(''), isGenericClusterId).status).toBe('pass');
    expect(clusterIdCheck(csi('prod-eu-1'), isGenericClusterId).status).toBe('pass');
    expect(clusterIdCheck({ ok: true, value: undefined }, isGenericClusterId).status).toBe('skip');
  });

  it('csi-user: the driver needs user@domain or DOMAIN\\user; the fix names the corrected form', () => {
    expect(userHasDomain('k8s-csi@vsphere.local')).toBe(true);
    expect(userHasDomain('CORP\\k8s-csi')).toBe(true);
    expect(userHasDomain('k8s-csi')).toBe(false);
    expect(domainOf('VSPHERE.LOCAL\\Administrator')).toBe('vsphere.local');
    expect(domainOf('administrator@corp.example')).toBe('corp.example');
    expect(domainOf('root')).toBeUndefined();
    const vc = { server: 'vc1', datacenters: [], insecure: false };
    const r = userDomainResult([{ ...vc, user: 'k8s-csi' }], 'corp.example');
    expect(r.status).toBe('fail');
    expect(r.fix).toContain('user = "k8s-csi@corp.example"');
    expect(userDomainResult([{ ...vc, user: 'CORP\\k8s-csi' }], 'x').status).toBe('pass');
  });

  it('storageclass-datastore: names the nodes whose host does not mount the datastore', () => {
    const classes: V1StorageClass[] = [
      {
        metadata: { name: 'fast' },
        provisioner: 'csi.vsphere.vmware.com',
        parameters: { DatastoreURL: 'ds:///a/' },
      },
      { metadata: { name: 'gold' }, provisioner: 'csi.vsphere.vmware.com', parameters: { storagepolicyname: 'Gold' } },
    ];
    const ds = [{ name: 'A', url: 'ds:///a', hosts: new Set(['HostSystem:h1']) }];
    const nodes = [
      { node: 'n1', host: 'HostSystem:h1' },
      { node: 'n2', host: 'HostSystem:h2' },
    ];
    const r = storageClassDatastoreCheck(classes, ds, [{ id: '1', name: 'Gold' }], nodes);
    expect(r.status).toBe('fail');
    expect(r.detail).toBe('StorageClass fast: datastore A is not mounted on the host of node n2');
    const ok = storageClassDatastoreCheck(classes, ds, [{ id: '1', name: 'Gold' }], nodes.slice(0, 1));
    expect(ok.status).toBe('pass');
    const noPolicy = storageClassDatastoreCheck(classes, ds, [], nodes.slice(0, 1));
    expect(noPolicy.detail).toContain('storage policy "Gold" not found');
  });

  it("storageclass-datastore: a zoned class needs its datastore only on the hosts of its zones' nodes", () => {
    const zoned = (zone: string): V1StorageClass => ({
      metadata: { name: `in-${zone}` },
      provisioner: 'csi.vsphere.vmware.com',
      parameters: { datastoreurl: 'ds:///b/' },
      allowedTopologies: [{ matchLabelExpressions: [{ key: 'topology.csi.vmware.com/k8s-zone', values: [zone] }] }],
    });
    const ds = [{ name: 'B', url: 'ds:///b/', hosts: new Set(['HostSystem:h2']) }];
    const nodes = [
      { node: 'n1', host: 'HostSystem:h1', labels: { 'topology.csi.vmware.com/k8s-zone': 'zone-a' } },
      { node: 'n2', host: 'HostSystem:h2', labels: { 'topology.csi.vmware.com/k8s-zone': 'zone-b' } },
    ];
    expect(storageClassDatastoreCheck([zoned('zone-b')], ds, undefined, nodes)).toMatchObject({
      status: 'pass',
      detail: 'in-zone-b: B on the hosts of all 1 node of its zones',
    });
    const wrong = storageClassDatastoreCheck([zoned('zone-a')], ds, undefined, nodes);
    expect(wrong.status).toBe('fail');
    expect(wrong.detail).toBe('StorageClass in-zone-a: datastore B is not mounted on the host of node n1 of its zones');
    expect(wrong.fix).toContain('--zone ZONE');
  });
});

describe('tls-trust', () => {
  const session = (tls: { insecure: boolean; thumbprint?: { algorithm: 'sha256'; value: string } }) =>
    ({ options: { url: new URL('https://vc1.example.com/sdk'), tls } }) as unknown as VsphereSession;
  const cert = { sha256: 'AB:'.repeat(31) + 'AB', sha1: 'CD:'.repeat(19) + 'CD' };
  const vc = (o: Partial<DriverVcenter>): DriverVcenter => ({
    server: 'vc1.example.com',
    datacenters: ['DC0'],
    insecure: false,
    ...o,
  });
  const configs = (cpi: DriverVcenter[], csi: DriverVcenter[] = []) => ({
    cpi: { ok: true as const, value: { driver: 'cpi' as const, source: 'cpi.conf', vcenters: cpi } },
    csi: {
      ok: true as const,
      value: csi.length ? { driver: 'csi' as const, source: 'csi.conf', vcenters: csi } : undefined,
    },
  });

  it('fails, with the command that rewrites it, when a driver config cannot be read', () => {
    const unreadable = {
      ...configs([vc({})]),
      csi: { ok: false as const, reason: 'csi-vsphere.conf: line 3: no section' },
    };
    expect(tlsTrustCheck(session({ insecure: false }), unreadable, cert)).toEqual({
      id: 'tls-trust',
      title: 'Drivers trust the same vCenter as vk',
      status: 'fail',
      detail: 'cannot read a driver config: csi-vsphere.conf: line 3: no section',
      fix: 'regenerate it with vk generate cpi|csi --apply',
    });
  });

  it("compares a SHA-1 or SHA-256 pin with the server's certificate, in any notation", () => {
    const s = session({ insecure: false });
    expect(
      tlsTrustCheck(s, configs([vc({ thumbprint: cert.sha1.replaceAll(':', '').toLowerCase() })]), cert).status,
    ).toBe('pass');
    const bad = tlsTrustCheck(
      s,
      configs([vc({ thumbprint: cert.sha1 })], [vc({ thumbprint: 'sha256:' + '00'.repeat(32) })]),
      cert,
    );
    expect(bad.status).toBe('fail');
    expect(bad.fix).toContain(`set thumbprint to ${cert.sha256} in csi.conf`);
  });

  it('checks only the entry for vk’s vCenter in a multi-vCenter config; fails when none is it', () => {
    const s = session({ insecure: false });
    const multi = tlsTrustCheck(
      s,
      configs([vc({ thumbprint: cert.sha256 }), vc({ server: 'vc2.example.com', insecure: true })]),
      cert,
    );
    expect(multi.status).toBe('pass');
    expect(multi.detail).toContain('1 other vCenter(s), not checked');
    const other = tlsTrustCheck(s, configs([vc({ server: 'vc2.example.com' })]), cert);
    expect(other.status).toBe('fail');
    expect(other.detail).toBe('CPI connects to vc2.example.com:443, vk to vc1.example.com:443');
  });

  it('warns when a driver trusts less carefully, or differently, than vk; passes when vk is the insecure one', () => {
    const pinned = session({ insecure: false, thumbprint: { algorithm: 'sha256', value: cert.sha256 } });
    expect(tlsTrustCheck(pinned, configs([vc({ insecure: true })]), cert).status).toBe('warn');
    expect(tlsTrustCheck(pinned, configs([vc({})]), cert).detail).toContain('system CAs only');
    const insecure = tlsTrustCheck(session({ insecure: true }), configs([vc({ thumbprint: cert.sha256 })]), cert);
    expect(insecure.status).toBe('pass');
    expect(insecure.detail).toContain('vk: no verification (--insecure)');
  });
});
