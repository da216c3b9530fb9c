// The pure parts of doctor's drift checks: the version verdict against the
// compatibility table, and reading back the registry an --image-registry
// rewrite moved the images under.
import { describe, expect, it } from 'vitest';
import { compareImages, compareVersions, inferRegistry, versionVerdict } from '../src/lib/doctor/drift.js';

describe('versionVerdict', () => {
  it('passes the release the table pairs with the minor', () => {
    expect(versionVerdict('cpi', 'v1.35.2', 'v1.35.1').status).toBe('pass');
    expect(versionVerdict('csi', 'v1.36.3', 'v3.8.0').status).toBe('pass');
  });
  it('warns on an older release that supports the minor, with the exact upgrade command', () => {
    const v = versionVerdict('cpi', 'v1.35.2', 'v1.35.0');
    expect(v).toEqual({
      status: 'warn',
      detail: "CPI v1.35.0 supports Kubernetes 1.35 but is older than v1.35.1, the release vk's table pairs with it",
      fix: 'vk install cpi --version v1.35.1',
    });
    // v3.6.x supports 1.34, but the table pairs v3.8.0 with it.
    expect(versionVerdict('csi', 'v1.34.1', 'v3.6.3')).toMatchObject({
      status: 'warn',
      fix: 'vk install csi --version v3.8.0',
    });
  });
  it('fails a release the table does not pair with the minor', () => {
    expect(versionVerdict('cpi', 'v1.36.0', 'v1.35.1')).toMatchObject({
      status: 'fail',
      fix: 'vk install cpi --version v1.36.0',
    });
    expect(versionVerdict('csi', 'v1.36.0', 'v3.3.1').status).toBe('fail');
  });
  it('warns when the driver image carries no tag', () => {
    expect(versionVerdict('csi', 'v1.36.0', undefined).status).toBe('warn');
  });
  it('orders versions, a pre-release before its release', () => {
    expect(compareVersions('v3.8.0-rc.1', 'v3.8.0')).toBeLessThan(0);
    expect(compareVersions('v1.35.1', 'v1.35.0')).toBeGreaterThan(0);
    expect(compareVersions('v3.8.0', '3.8.0')).toBe(0);
  });
});

describe('inferRegistry and compareImages', () => {
  const expected = [
    { name: 'a', image: 'registry.k8s.io/sig-storage/csi-attacher:v4.12.0' },
    { name: 'b', image: 'registry.k8s.io/csi-vsphere/driver:v3.8.0' },
    { name: 'c', image: 'gcr.io/x/y:v1' },
  ];
  it('reads the prefix most moved images share', () => {
    expect(
      inferRegistry([
        { expected: expected[0]!.image, found: 'm.example/p/sig-storage/csi-attacher:v4.12.0' },
        { expected: expected[1]!.image, found: 'm.example/p/csi-vsphere/driver:v3.8.0' },
        { expected: expected[2]!.image, found: 'other/y:v1' },
      ]),
    ).toBe('m.example/p');
  });
  it('finds none when the images were not moved', () => {
    expect(inferRegistry(expected.map((e) => ({ expected: e.image, found: e.image })))).toBeUndefined();
  });
  it('names the container whose image is neither the manifest one nor under the shared registry', () => {
    const live = [
      { name: 'a', image: 'm.example/p/sig-storage/csi-attacher:v4.12.0' },
      { name: 'b', image: 'm.example/p/csi-vsphere/driver:v3.8.0' },
      { name: 'c', image: 'gcr.io/x/y:v1' },
      { name: 'extra', image: 'busybox' },
    ];
    const r = compareImages([{ workload: 'Deployment ns/w', expected, live }]);
    expect(r).toEqual({
      ok: true,
      compared: 3,
      registryNote: ' under registry m.example/p',
      drift: [
        { workload: 'Deployment ns/w', container: 'c', found: 'gcr.io/x/y:v1', expected: 'm.example/p/x/y:v1' },
        { workload: 'Deployment ns/w', container: 'extra', found: 'busybox' },
      ],
    });
  });
});
