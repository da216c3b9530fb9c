// `vk generate cpi|csi` as a user runs it: the built CLI as a subprocess.
// Passwords never reach stdout/stderr except with --show-secrets; --file
// writes them to a 0600 file; bad input exits 2 with one line. Needs
// `npm run build` first (bin/run.js loads dist/).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGo, repoRoot } from './support/go-build.js';
import { runVk, type VkResult } from './support/run-vk.js';

// "XYZZY" marks the secrets: it survives every escaping (YAML, JSON, INI).
const adminPassword = 'adm-XYZZY1;#="\\ü';
const csiPassword = 'p;a#s=s"w\\o\'r d\n\tü€😀XYZZY2';
const cpiPassword = 'cpi-XYZZY3 €';
const markers = ['XYZZY'];

let home: string;
let parsers: string;

beforeAll(async () => {
  if (!existsSync(join(repoRoot, 'dist', 'commands', 'generate', 'csi.js'))) {
    throw new Error('dist/ is missing or stale: run `npm run build` before the tests');
  }
  home = mkdtempSync(join(tmpdir(), 'vk-generate-'));
  parsers = await buildGo('parsers');
});

function vk(args: string[], env: Record<string, string> = {}): Promise<VkResult> {
  return runVk(
    args,
    {
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      GOVC_URL: 'vc.example.com:8443',
      GOVC_USERNAME: 'administrator@vsphere.local',
      GOVC_PASSWORD: adminPassword,
      ...env,
    },
    { cwd: home },
  );
}

function parse(mode: string, input: string, ...args: string[]): unknown {
  const r = spawnSync(parsers, [mode, ...args], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`parsers ${mode}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function expectNoSecrets(text: string) {
  for (const m of markers) expect(text).not.toContain(m);
}

const csiNoId = ['generate', 'csi', '--datacenter', 'DC "1"', '--datacenter', 'Zürich/2'];
const csiBase = [...csiNoId, '--cluster-id', 'prod-1'];
const cpiBase = ['generate', 'cpi', '--datacenter', 'DC "1"'];
const driverCreds = {
  VK_CSI_USERNAME: 'CORP\\svc-csi',
  VK_CSI_PASSWORD: csiPassword,
  VK_CPI_USERNAME: 'cpi@vsphere.local',
  VK_CPI_PASSWORD: cpiPassword,
};

describe('vk generate: redaction', () => {
  it.each([
    ['csi yaml', [...csiBase], {}],
    ['csi json', [...csiBase, '-o', 'json'], {}],
    ['csi with driver credentials', [...csiBase, '--no-verify'], driverCreds],
    ['cpi yaml', [...cpiBase], {}],
    ['cpi json with driver credentials', [...cpiBase, '-o', 'json', '--no-verify'], driverCreds],
    ['csi --apply --dry-run', [...csiBase, '--apply', '--dry-run', '--no-verify'], driverCreds],
    ['cpi --apply --dry-run', [...cpiBase, '--apply', '--dry-run', '--no-verify'], driverCreds],
    ['csi --debug', [...csiBase, '--debug', '--no-verify'], driverCreds],
    ['a validation error', [...csiBase, '--csi-username', 'bob', '--no-verify'], driverCreds],
    ['a version error', [...csiBase, '--csi-version', 'v3.2', '--file-share-datastore-url', 'ds:///x/'], driverCreds],
  ])('%s: no password on stdout or stderr', async (_name, args, env) => {
    const r = await vk(args, env);
    expectNoSecrets(r.stdout);
    expectNoSecrets(r.stderr);
    if (r.code === 0) {
      expect(r.stdout).toContain('<redacted>');
      expect(r.stderr).toContain('--show-secrets');
    }
  });

  it('--dry-run needs --apply', async () => {
    const r = await vk([...csiBase, '--dry-run']);
    expect(r.code).toBe(2);
    expectNoSecrets(r.stderr);
  });
});

describe('vk generate csi', () => {
  it('--show-secrets prints a Secret whose csi-vsphere.conf the driver reads back exactly', async () => {
    const r = await vk([...csiBase, '--show-secrets', '--no-verify'], driverCreds);
    expect(r.code).toBe(0);
    const [secret] = parse('objects-yaml', r.stdout) as Array<{
      metadata: { name: string; namespace: string };
      stringData: Record<string, string>;
    }>;
    expect(secret!.metadata).toEqual({ name: 'vsphere-config-secret', namespace: 'vmware-system-csi' });
    const cfg = parse('csi-ini', secret!.stringData['csi-vsphere.conf']!, '--version', 'v3.7.3') as {
      Global: Record<string, unknown>;
      VirtualCenter: Record<string, Record<string, unknown>>;
    };
    expect(cfg.Global['cluster-id']).toBe('prod-1');
    expect(cfg.VirtualCenter['vc.example.com']).toMatchObject({
      user: 'CORP\\svc-csi',
      password: csiPassword,
      port: '8443',
      datacenters: 'DC "1",Zürich/2',
      'insecure-flag': false,
    });
  });

  it('defaults to the admin credentials and -o json prints a List', async () => {
    const r = await vk([...csiBase, '--show-secrets', '-o', 'json', '--insecure']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { kind: string; items: Array<{ stringData: Record<string, string> }> };
    expect(list.kind).toBe('List');
    const cfg = parse('csi-ini', list.items[0]!.stringData['csi-vsphere.conf']!, '--version', 'v3.7.3') as {
      VirtualCenter: Record<string, Record<string, unknown>>;
    };
    expect(cfg.VirtualCenter['vc.example.com']).toMatchObject({
      user: 'administrator@vsphere.local',
      password: adminPassword,
      'insecure-flag': true,
    });
  });

  it('--file writes the real values with mode 0600 and a reminder on stderr', async () => {
    const file = join(home, 'csi.yaml');
    writeFileSync(file, 'old', { mode: 0o644 });
    const r = await vk([...csiBase, '--file', file, '--no-verify'], driverCreds);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/holds vCenter credentials: delete it after use/);
    expectNoSecrets(r.stderr);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const [secret] = parse('objects-yaml', readFileSync(file, 'utf8')) as Array<{ stringData: Record<string, string> }>;
    const cfg = parse('csi-ini', secret!.stringData['csi-vsphere.conf']!, '--version', 'v3.7.3') as {
      VirtualCenter: Record<string, { password: string }>;
    };
    expect(cfg.VirtualCenter['vc.example.com']!.password).toBe(csiPassword);
  });

  it.each([
    [
      "another user without its password (the admin's is no default for it)",
      ['--csi-username', 'k8s-csi@vsphere.local', '--no-verify'],
      /^error: no password for the CSI user k8s-csi@vsphere\.local; set --csi-password or VK_CSI_PASSWORD$/m,
    ],
    [
      'a user without a domain',
      ['--csi-username', 'bob', '--csi-password', 'pw', '--no-verify'],
      /CSI user "bob" has no domain/,
    ],
    ['a cluster-id over 64 characters', ['--cluster-id', 'x'.repeat(65)], /at most 64/],
    ['a key the version does not read', ['--csi-version', 'v3.3', '--file-share-datastore-url', 'u'], /drop --file/],
    ['an unknown version', ['--csi-version', 'v9.1'], /not known to vk/],
    ['a datacenter with a comma', ['--datacenter', 'a,b'], /comma/],
    ['a bad --net-permission', ['--net-permission', 'name=a,permissions=ALL'], /READ_WRITE/],
  ])('refuses %s with exit 2 and one line', async (_name, extra, message) => {
    const r = await vk(extra.includes('--cluster-id') ? [...csiNoId, ...extra] : [...csiBase, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('refuses an empty password with exit 2', async () => {
    const r = await vk([...csiBase], { GOVC_PASSWORD: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/password is empty/);
  });

  it('emits only keys the older driver reads: v3.1 writes targetvSANFileShareDatastoreURLs, v3.2 strict refuses it', async () => {
    const args = [...csiBase, '--csi-version', 'v3.1', '--file-share-datastore-url', 'ds:///vsan/1/', '--show-secrets'];
    const r = await vk(args);
    expect(r.code).toBe(0);
    const [secret] = parse('objects-yaml', r.stdout) as Array<{ stringData: Record<string, string> }>;
    const conf = secret!.stringData['csi-vsphere.conf']!;
    expect(() => parse('csi-ini', conf, '--version', 'v3.1.2')).not.toThrow();
    expect(() => parse('csi-ini', conf, '--version', 'v3.2.0')).toThrow(/targetvSANFileShareDatastoreURLs/);
  });
});

describe('vk generate cpi', () => {
  it('--show-secrets prints the Secret and a vsphere.conf the CPI reads back exactly', async () => {
    const r = await vk(
      [
        ...cpiBase,
        '--datacenter',
        'dc #2',
        '--region',
        'k8s-region',
        '--zone',
        'k8s-zone',
        '--show-secrets',
        '--no-verify',
      ],
      { ...driverCreds, GOVC_INSECURE: '1' },
    );
    expect(r.code).toBe(0);
    const [secret, cm] = parse('objects-yaml', r.stdout) as Array<{
      metadata: { name: string; namespace: string; labels?: Record<string, string> };
      stringData?: Record<string, string>;
      data?: Record<string, string>;
    }>;
    expect(secret!.metadata).toMatchObject({ name: 'vsphere-cloud-secret', namespace: 'kube-system' });
    expect(secret!.stringData).toEqual({
      'vc.example.com.username': 'cpi@vsphere.local',
      'vc.example.com.password': cpiPassword,
    });
    expect(cm!.metadata).toEqual({ name: 'vsphere-cloud-config', namespace: 'kube-system' });
    const conf = parse('cpi-yaml', cm!.data!['vsphere.conf']!) as {
      global: Record<string, unknown>;
      vcenter: Record<string, Record<string, unknown>>;
      labels: Record<string, unknown>;
    };
    expect(conf.global).toMatchObject({ port: 8443, insecureFlag: true, secretName: 'vsphere-cloud-secret' });
    expect(conf.vcenter['vc.example.com']).toMatchObject({
      server: 'vc.example.com',
      datacenters: ['DC "1"', 'dc #2'],
    });
    expect(conf.labels).toEqual({ region: 'k8s-region', zone: 'k8s-zone' });
  });

  it("writes the CPI's nodes options as the CPI reads them: CIDR lists comma-joined", async () => {
    const r = await vk(
      [
        ...cpiBase,
        '--internal-network-subnet-cidr',
        '10.0.0.0/16,10.1.0.0/16',
        '--exclude-external-network-subnet-cidr',
        'fd00::/64',
        '--exclude-external-network-subnet-cidr',
        '192.168.0.0/24',
        '--no-verify',
      ],
      { ...driverCreds, GOVC_INSECURE: '1' },
    );
    expect(r.code, r.stderr).toBe(0);
    const [, cm] = parse('objects-yaml', r.stdout) as Array<{ data?: Record<string, string> }>;
    const conf = parse('cpi-yaml', cm!.data!['vsphere.conf']!) as { nodes: Record<string, string> };
    expect(conf.nodes).toEqual({
      internalNetworkSubnetCidr: '10.0.0.0/16,10.1.0.0/16',
      externalNetworkSubnetCidr: '',
      internalVmNetworkName: '',
      externalVmNetworkName: '',
      excludeInternalNetworkSubnetCidr: '',
      excludeExternalNetworkSubnetCidr: 'fd00::/64,192.168.0.0/24',
    });
  });

  it('refuses a CIDR that does not parse, in one line naming the flag (exit 2)', async () => {
    const r = await vk([...cpiBase, '--internal-network-subnet-cidr', '10.0.0.0/33', '--no-verify'], driverCreds);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: invalid --internal-network-subnet-cidr "10.0.0.0/33": expected a CIDR such as 10.0.0.0/16 or fd00::/64\n',
    );
    expect(r.stdout).toBe('');
  });

  it('honours --secret-name, --secret-namespace and --server-name', async () => {
    const r = await vk([
      ...cpiBase,
      '--secret-name',
      'vc-creds',
      '--secret-namespace',
      'infra',
      '--server-name',
      'prod',
    ]);
    expect(r.code).toBe(0);
    const [secret, cm] = parse('objects-yaml', r.stdout) as Array<{
      metadata: { name: string; namespace: string };
      data?: Record<string, string>;
    }>;
    expect(secret!.metadata).toMatchObject({ name: 'vc-creds', namespace: 'infra' });
    const conf = parse('cpi-yaml', cm!.data!['vsphere.conf']!) as {
      global: Record<string, unknown>;
      vcenter: Record<string, Record<string, unknown>>;
    };
    expect(conf.global).toMatchObject({ secretName: 'vc-creds', secretNamespace: 'infra' });
    expect(Object.keys(conf.vcenter)).toEqual(['prod']);
    expect(conf.vcenter.prod!.server).toBe('vc.example.com');
  });

  it('refuses a missing vCenter URL with exit 2', async () => {
    const r = await vk(cpiBase, { GOVC_URL: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no vCenter URL/);
  });
});
