// Unit and round-trip tests of the drivers' configs (src/lib/drivers): the CPI YAML and CSI INI the
// generators write must read back exactly through the drivers' own parsers
// (gopkg.in/yaml.v2, gopkg.in/gcfg.v1), run by our Go reader test/go/parsers.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGo } from './support/go-build.js';
import { Secret } from '../src/lib/core/secret.js';
import { UsageError } from '../src/lib/core/errors.js';
import { quoteIniSubsection, quoteIniValue, renderIni } from '../src/lib/drivers/ini.js';
import { csiKeysFor, csiReleases, newestCsiVersion } from '../src/lib/drivers/csi/config-keys.js';
import { csiConfKey, generateCsiObjects, type CsiConfigInput } from '../src/lib/drivers/csi/config.js';
import { generateCpiObjects, type CpiConfigInput } from '../src/lib/drivers/cpi/config.js';
import { clusterIdFromNamespaceUid } from '../src/lib/drivers/csi/cluster-id.js';
import { parseVcenterUrl } from '../src/lib/settings/vcenter-url.js';
import { redactedObjects, revealObjects, type SecretObject } from '../src/lib/drivers/config-objects.js';

const hostilePassword = 'p;a#s=s"w\\o\'r d\n\tü€😀 ';
const hostileDatacenters = ['DC 1', 'dc "quoted"', 'a/b\\c', 'Zürich-データ', ' lead;#=trail '];

let parsers: string;
beforeAll(async () => {
  parsers = await buildGo('parsers');
});

function parse(mode: string, input: string, ...args: string[]): { ok: boolean; out: unknown; err: string } {
  const r = spawnSync(parsers, [mode, ...args], { input, encoding: 'utf8' });
  return { ok: r.status === 0, out: r.status === 0 ? JSON.parse(r.stdout) : undefined, err: r.stderr };
}

function csiInput(over: Partial<CsiConfigInput> = {}): CsiConfigInput {
  return {
    clusterId: 'prod-1',
    vcenters: [
      {
        server: 'vc.example.com',
        port: 8443,
        username: 'DOMAIN\\user',
        password: new Secret(hostilePassword),
        datacenters: hostileDatacenters,
        insecure: true,
      },
    ],
    ...over,
  };
}

function csiConf(input: CsiConfigInput): string {
  const [secret] = revealObjects(generateCsiObjects(input)) as [SecretObject<string>];
  return secret.stringData[csiConfKey]!;
}

describe('gcfg quoting', () => {
  it('escapes exactly backslash, quote, newline and tab', () => {
    expect(quoteIniValue('a\\b"c\nd\te;#=ü')).toBe('"a\\\\b\\"c\\nd\\te;#=ü"');
  });
  it('never writes a \\u escape for non-ASCII', () => {
    expect(quoteIniValue('€😀')).toBe('"€😀"');
  });
  it('refuses a carriage return, which gcfg strips', () => {
    expect(() => quoteIniValue('a\rb', 'VirtualCenter password')).toThrow(UsageError);
  });
  it('refuses a newline or an empty subsection name', () => {
    expect(() => quoteIniSubsection('a\nb')).toThrow(/line break/);
    expect(() => quoteIniSubsection('')).toThrow(/empty/);
    expect(quoteIniSubsection('x"y\\z')).toBe('"x\\"y\\\\z"');
  });
  it('writes Secret values redacted unless asked to reveal', () => {
    const sections = [{ name: 'Global', entries: [['password', new Secret('s3cr3t')]] as [string, Secret][] }];
    expect(renderIni(sections, { reveal: false })).toContain('password = "<redacted>"');
    expect(renderIni(sections, { reveal: true })).toContain('password = "s3cr3t"');
  });
});

describe('CSI csi-vsphere.conf round trip through gcfg', () => {
  it('reads back hostile passwords, user names, datacenters and server names exactly', () => {
    const input = csiInput({
      clusterId: 'id;#="x"\\ü',
      clusterDistribution: 'My "Distro" #1',
      thumbprint: 'AA:BB',
      topologyCategories: ['k8s-zone', 'Zone ü;#'],
      netPermissions: [{ name: 'ro "net" ü', ips: '10.0.0.0/24', permissions: 'READ_ONLY', rootSquash: true }],
    });
    const vc = { ...input.vcenters[0]!, server: 'vc "1" \\ ü', fileShareClusters: ['DC 1/host/c"1'] };
    const r = parse('csi-ini', csiConf({ ...input, vcenters: [vc] }), '--version', newestCsiVersion);
    expect(r.err).toBe('');
    const cfg = r.out as {
      Global: Record<string, unknown>;
      VirtualCenter: Record<string, Record<string, unknown>>;
      Labels: Record<string, unknown>;
      NetPermissions: Record<string, Record<string, unknown>>;
    };
    expect(cfg.Global['cluster-id']).toBe('id;#="x"\\ü');
    expect(cfg.Global['cluster-distribution']).toBe('My "Distro" #1');
    expect(cfg.Global.thumbprint).toBe('AA:BB');
    expect(Object.keys(cfg.VirtualCenter)).toEqual(['vc "1" \\ ü']);
    const got = cfg.VirtualCenter['vc "1" \\ ü']!;
    expect(got.password).toBe(hostilePassword);
    expect(got.user).toBe('DOMAIN\\user');
    expect(got.port).toBe('8443');
    expect(got['insecure-flag']).toBe(true);
    expect((got.datacenters as string).split(',')).toEqual(hostileDatacenters);
    expect(got.targetvSANFileShareClusters).toBe('DC 1/host/c"1');
    expect(cfg.Labels['topology-categories']).toBe('k8s-zone,Zone ü;#');
    expect(cfg.NetPermissions['ro "net" ü']).toEqual({
      ips: '10.0.0.0/24',
      permissions: 'READ_ONLY',
      rootsquash: true,
    });
  });

  for (const release of csiReleases) {
    it(`v${release.from}: every key vk can write is accepted by that version's strict struct`, () => {
      const version = `v${release.from}`;
      const oldFileShare = csiKeysFor(version).VirtualCenter.includes('targetvSANFileShareDatastoreURLs');
      const input = csiInput({
        version,
        clusterDistribution: 'vanilla',
        caFile: '/etc/ssl/vc.pem',
        thumbprint: 'AA:BB',
        topologyCategories: ['k8s-zone'],
        netPermissions: [{ name: 'a', ips: '*', permissions: 'READ_WRITE', rootSquash: false }],
      });
      const vc = {
        ...input.vcenters[0]!,
        fileShareClusters: ['c1'],
        ...(oldFileShare && { fileShareDatastoreUrls: ['ds:///vmfs/volumes/vsan:1/'] }),
      };
      const r = parse('csi-ini', csiConf({ ...input, vcenters: [vc] }), '--version', version);
      expect(r.err).toBe('');
      expect(r.ok).toBe(true);
    });
  }

  it('a retired key is rejected by the strict reader of a version that dropped it', () => {
    const conf = csiConf({
      ...csiInput({ version: 'v3.1.2' }),
      vcenters: [{ ...csiInput().vcenters[0]!, fileShareDatastoreUrls: ['ds:///x/'] }],
    });
    expect(parse('csi-ini', conf, '--version', 'v3.1.2').ok).toBe(true);
    const r = parse('csi-ini', conf, '--version', 'v3.2.0');
    expect(r.ok).toBe(false);
    expect(r.err).toContain('targetvSANFileShareDatastoreURLs');
  });

  it('a misspelled key is rejected by the strict reader', () => {
    const r = parse('csi-ini', '[VirtualCenter "vc"]\ninsecure_flags = "true"\n', '--version', 'v3.7.3');
    expect(r.ok).toBe(false);
  });

  it('refuses, as a usage error, a key the target version does not read', () => {
    const input = csiInput({ version: 'v3.2' });
    const vc = { ...input.vcenters[0]!, fileShareDatastoreUrls: ['ds:///x/'] };
    expect(() => generateCsiObjects({ ...input, version: 'v3.2', vcenters: [vc] })).toThrow(
      /v3.2 does not read VirtualCenter targetvSANFileShareDatastoreURLs; drop --file-share-datastore-url/,
    );
    expect(() => generateCsiObjects(csiInput({ version: 'v2.7.0' }))).toThrow(/not known to vk/);
  });
});

describe('CSI validation', () => {
  const vc = csiInput().vcenters[0]!;
  it.each([
    ['a user without a domain', csiInput({ vcenters: [{ ...vc, username: 'bob' }] }), /has no domain/],
    ['a non-ASCII user', csiInput({ vcenters: [{ ...vc, username: 'jürgen@corp' }] }), /has no domain/],
    ['an empty password', csiInput({ vcenters: [{ ...vc, password: new Secret('') }] }), /password is empty/],
    ['a cluster-id over 64 bytes', csiInput({ clusterId: 'ü'.repeat(33) }), /66 bytes long/],
    [
      'six vCenters',
      csiInput({
        topologyCategories: ['z'],
        vcenters: [1, 2, 3, 4, 5, 6].map((i) => ({ ...vc, server: `vc${i}` })),
      }),
      /at most 5/,
    ],
    ['two vCenters without topology', csiInput({ vcenters: [vc, { ...vc, server: 'vc2' }] }), /topology/],
    ['a datacenter with a comma', csiInput({ vcenters: [{ ...vc, datacenters: ['a,b'] }] }), /comma/],
    [
      'a password with a carriage return',
      csiInput({ vcenters: [{ ...vc, password: new Secret('a\rb') }] }),
      /carriage/,
    ],
    ['six topology categories', csiInput({ topologyCategories: ['a', 'b', 'c', 'd', 'e', 'f'] }), /at most 5/],
  ])('refuses %s', (_name, input, message) => {
    expect(() => generateCsiObjects(input)).toThrow(UsageError);
    expect(() => generateCsiObjects(input)).toThrow(message);
  });

  it('accepts both user@domain and DOMAIN\\user', () => {
    expect(() => generateCsiObjects(csiInput({ vcenters: [{ ...vc, username: 'a.b@vsphere.local' }] }))).not.toThrow();
    expect(() => generateCsiObjects(csiInput({ vcenters: [{ ...vc, username: 'CORP\\svc-csi' }] }))).not.toThrow();
  });

  it('never puts the password in the redacted form', () => {
    const text = JSON.stringify(redactedObjects(generateCsiObjects(csiInput())));
    expect(text).toContain('<redacted>');
    expect(text).not.toContain('€😀');
  });
});

function cpiInput(over: Partial<CpiConfigInput> = {}): CpiConfigInput {
  return {
    server: 'vc.example.com',
    port: 443,
    username: 'DOMAIN\\user',
    password: new Secret(hostilePassword),
    datacenters: hostileDatacenters,
    insecure: false,
    ...over,
  };
}

describe('CPI vsphere.conf and Secret round trip through yaml.v2', () => {
  it('reads back datacenters, TLS settings and labels exactly, in the CPI key names', async () => {
    const objects = revealObjects(
      await generateCpiObjects(cpiInput({ thumbprint: 'AA:BB', region: 'k8s "region"', zone: 'zone: ü #1' })),
    );
    const conf = (objects[1] as { data: Record<string, string> }).data['vsphere.conf']!;
    const r = parse('cpi-yaml', conf);
    expect(r.err).toBe('');
    const cfg = r.out as {
      global: Record<string, unknown>;
      vcenter: Record<string, Record<string, unknown>>;
      labels: Record<string, unknown>;
    };
    expect(cfg.global).toMatchObject({
      port: 443,
      insecureFlag: false,
      secretName: 'vsphere-cloud-secret',
      secretNamespace: 'kube-system',
      thumbprint: 'AA:BB',
    });
    expect(cfg.vcenter['vc.example.com']).toMatchObject({
      server: 'vc.example.com',
      datacenters: hostileDatacenters,
      thumbprint: 'AA:BB',
    });
    expect(cfg.labels).toEqual({ region: 'k8s "region"', zone: 'zone: ü #1' });
  });

  it('the Secret carries the hostile password exactly through a YAML stream', async () => {
    const { renderObjects } = await import('../src/lib/drivers/config-objects.js');
    const stream = await renderObjects(revealObjects(await generateCpiObjects(cpiInput())), 'yaml');
    const r = parse('objects-yaml', stream);
    expect(r.err).toBe('');
    const [secret, cm] = r.out as Array<{ kind: string; stringData: Record<string, string>; metadata: unknown }>;
    expect(secret!.kind).toBe('Secret');
    expect(secret!.stringData).toEqual({
      'vc.example.com.username': 'DOMAIN\\user',
      'vc.example.com.password': hostilePassword,
    });
    expect(secret!.metadata).toMatchObject({
      labels: { 'vsphere-cpi-infra': 'secret', component: 'cloud-controller-manager' },
    });
    expect(cm!.kind).toBe('ConfigMap');
  });

  it('the CSI Secret survives the YAML stream and then gcfg', async () => {
    const { renderObjects } = await import('../src/lib/drivers/config-objects.js');
    const stream = await renderObjects(revealObjects(generateCsiObjects(csiInput())), 'yaml');
    const objs = parse('objects-yaml', stream).out as Array<{ stringData: Record<string, string> }>;
    const cfg = parse('csi-ini', objs[0]!.stringData[csiConfKey]!, '--version', newestCsiVersion).out as {
      VirtualCenter: Record<string, { password: string }>;
    };
    expect(cfg.VirtualCenter['vc.example.com']!.password).toBe(hostilePassword);
  });

  it.each([
    ['an IPv6 server, which cannot name a Secret key', cpiInput({ server: 'fd00::1' }), /Secret key/],
    ['a password ending in a newline', cpiInput({ password: new Secret('abc\n') }), /newline/],
    ['an empty password', cpiInput({ password: undefined }), /password is empty/],
    ['no datacenter', cpiInput({ datacenters: [] }), /no datacenter/],
    ['a bad namespace', cpiInput({ secretNamespace: 'Kube_System' }), /namespace/],
  ])('refuses %s', async (_name, input, message) => {
    await expect(generateCpiObjects(input)).rejects.toThrow(message);
  });
});

describe('cluster-id and endpoint', () => {
  it('derives the same short cluster-id from the same namespace UID', () => {
    const a = clusterIdFromNamespaceUid('6f1c3e0a-1b2c-4d5e-8f90-123456789abc');
    expect(a).toBe(clusterIdFromNamespaceUid('6f1c3e0a-1b2c-4d5e-8f90-123456789abc'));
    expect(a).toMatch(/^vk-[0-9a-f]{32}$/);
    expect(a).not.toBe(clusterIdFromNamespaceUid('00000000-1b2c-4d5e-8f90-123456789abc'));
  });

  it.each([
    ['vc.example.com', 'vc.example.com', 443],
    ['vc.example.com:8443', 'vc.example.com', 8443],
    ['https://u%40d:p%3Aw@vc.example.com/sdk', 'vc.example.com', 443],
    ['https://[fd00::1]:9443/sdk', 'fd00::1', 9443],
  ])('parses %s', (url, host, port) => {
    expect(parseVcenterUrl(url)).toMatchObject({ host, port });
  });
});
