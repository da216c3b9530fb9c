import { describe, expect, it } from 'vitest';
import {
  compatibilityTable,
  kubernetesMinor,
  manifestBaseUrl,
  resolveCpi,
  resolveCsi,
  UPSTREAM_BASE_URL,
} from '../src/lib/drivers/manifests/compatibility.js';
import { UsageError, VkError } from '../src/lib/core/errors.js';

function thrown(fn: () => unknown): VkError {
  try {
    fn();
  } catch (err) {
    if (err instanceof VkError) return err;
    throw err;
  }
  throw new Error('expected an error');
}

describe('Kubernetes version parsing', () => {
  it.each([
    ['v1.31.4', '1.31'],
    ['1.31', '1.31'],
    ['v1.31.4+k3s1', '1.31'],
    ['v1.30.2-eks-1552ad0', '1.30'],
  ])('reads the minor of %s', (version, minor) => {
    expect(kubernetesMinor(version)).toBe(minor);
  });

  it('rejects what is not a version', () => {
    expect(() => kubernetesMinor('latest')).toThrow(/cannot read the Kubernetes version "latest"/);
  });
});

describe('CPI table', () => {
  it.each([
    ['v1.28.9', 'v1.28.1'],
    ['v1.29.0', 'v1.29.2'],
    ['v1.30.5', 'v1.30.2'],
    ['v1.31.4', 'v1.31.1'],
    ['v1.32.0', 'v1.32.3'],
    ['v1.33.2', 'v1.33.1'],
    ['v1.34.1', 'v1.34.0'],
    ['v1.35.0', 'v1.35.1'],
    ['v1.36.0', 'v1.36.0'],
  ])('follows the Kubernetes minor one to one: %s → %s', (k8s, cpi) => {
    const r = resolveCpi(k8s);
    expect(r.version).toBe(cpi);
    expect(r.image).toBe(`registry.k8s.io/cloud-pv-vsphere/cloud-provider-vsphere:${cpi}`);
    expect(r.known && r.supported).toBe(true);
  });

  it('downloads the release manifest of the tag', () => {
    expect(resolveCpi('v1.31.4').urls).toEqual([
      'https://raw.githubusercontent.com/kubernetes/cloud-provider-vsphere/v1.31.1/releases/v1.31/vsphere-cloud-controller-manager.yaml',
    ]);
  });

  it('names the supported range and --version for a cluster outside the table', () => {
    for (const k8s of ['v1.26.3', 'v1.37.0']) {
      const err = thrown(() => resolveCpi(k8s));
      expect(err).not.toBeInstanceOf(UsageError);
      expect(err.message).toContain(`Kubernetes ${kubernetesMinor(k8s)}`);
      expect(err.message).toContain('1.27–1.36');
      expect(err.hint).toContain('--version');
    }
  });

  it('pins a version with or without the leading v', () => {
    for (const version of ['v1.31.0', '1.31.0']) {
      const r = resolveCpi('v1.31.4', { version });
      expect(r.version).toBe('v1.31.0');
      expect(r.urls[0]).toContain('/v1.31.0/releases/v1.31/');
      expect(r.known).toBe(false);
      expect(r.supported).toBe(true);
    }
  });

  it('pins outside the table and says it is not supported for the cluster', () => {
    const r = resolveCpi('v1.37.0', { version: 'v1.36.0' });
    expect(r.version).toBe('v1.36.0');
    expect(r.supported).toBe(false);
    const old = resolveCpi('v1.31.2', { version: 'v1.32.0' });
    expect(old.urls[0]).toContain('/v1.32.0/releases/v1.32/');
    expect(old.supported).toBe(false);
  });

  it.each(['latest', 'v1.31', '1.31.0.1', 'v3.3.1'])('rejects --version %j as a usage error', (version) => {
    const err = thrown(() => resolveCpi('v1.31.0', { version }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain(`--version "${version}"`);
  });
});

describe('CSI table', () => {
  it.each([
    ['v1.27.3', 'v3.3.1'],
    ['v1.28.0', 'v3.3.1'],
    ['v1.30.9', 'v3.3.1'],
    ['v1.31.4', 'v3.5.1'],
    ['v1.32.0', 'v3.6.3'],
    ['v1.33.1', 'v3.7.3'],
    ['v1.34.0', 'v3.8.0'],
    ['v1.36.0', 'v3.8.0'],
  ])('picks the newest release whose published range holds %s → %s', (k8s, csi) => {
    expect(resolveCsi(k8s).version).toBe(csi);
  });

  it('applies namespace.yaml, then vsphere-csi-driver.yaml of the tag', () => {
    expect(resolveCsi('v1.29.1').urls).toEqual([
      'https://raw.githubusercontent.com/kubernetes-sigs/vsphere-csi-driver/v3.3.1/manifests/vanilla/namespace.yaml',
      'https://raw.githubusercontent.com/kubernetes-sigs/vsphere-csi-driver/v3.3.1/manifests/vanilla/vsphere-csi-driver.yaml',
    ]);
    expect(resolveCsi('v1.29.1').image).toBe('gcr.io/cloud-provider-vsphere/csi/release/driver:v3.3.1');
  });

  it('names the supported range and --version for a cluster outside every row', () => {
    const err = thrown(() => resolveCsi('v1.26.0'));
    expect(err.message).toBe('no vSphere CSI driver release known to support Kubernetes 1.26 (vk knows 1.27–1.36)');
    expect(err.hint).toContain('--version');
  });

  it('judges a pinned patch release by its line', () => {
    expect(resolveCsi('v1.35.0', { version: 'v3.7.0' })).toMatchObject({
      version: 'v3.7.0',
      known: false,
      supported: true,
    });
    expect(resolveCsi('v1.36.0', { version: '3.7.3' })).toMatchObject({
      version: 'v3.7.3',
      known: true,
      supported: false,
    });
    expect(resolveCsi('v1.29.0', { version: 'v3.2.0' })).toMatchObject({ known: false, supported: false });
  });

  it('refuses a CPI-looking version', () => {
    expect(() => resolveCsi('v1.31.0', { version: 'v1.31.0' })).toThrow(UsageError);
  });
});

describe('manifest base URL', () => {
  it('defaults to upstream and takes VK_MANIFEST_BASE_URL for a mirror', () => {
    expect(manifestBaseUrl({})).toBe(UPSTREAM_BASE_URL);
    expect(manifestBaseUrl({ VK_MANIFEST_BASE_URL: 'http://mirror.local:8080/gh/' })).toBe(
      'http://mirror.local:8080/gh',
    );
    expect(resolveCsi('v1.33.0', { baseUrl: 'http://mirror.local/gh' }).urls[0]).toBe(
      'http://mirror.local/gh/kubernetes-sigs/vsphere-csi-driver/v3.7.3/manifests/vanilla/namespace.yaml',
    );
  });

  it('rejects a base that is not an http(s) URL', () => {
    expect(() => manifestBaseUrl({ VK_MANIFEST_BASE_URL: 'ftp://x' })).toThrow(/VK_MANIFEST_BASE_URL/);
    expect(() => manifestBaseUrl({ VK_MANIFEST_BASE_URL: 'mirror.local' })).toThrow(UsageError);
  });
});

describe('the table as a whole', () => {
  it('has a CPI and a CSI release for every minor from 1.27 to 1.36', () => {
    const rows = compatibilityTable();
    expect(rows.map((r) => r.kubernetes)).toEqual([
      '1.36',
      '1.35',
      '1.34',
      '1.33',
      '1.32',
      '1.31',
      '1.30',
      '1.29',
      '1.28',
      '1.27',
    ]);
    for (const row of rows) {
      expect(row.cpi, row.kubernetes).toMatch(new RegExp(`^v${row.kubernetes.replace('.', '\\.')}\\.\\d+$`));
      expect(row.csi, row.kubernetes).toMatch(/^v3\.\d+\.\d+$/);
    }
  });
});
