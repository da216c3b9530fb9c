// The one "is this the default StorageClass" predicate, as the
// DefaultStorageClass admission plugin reads the two annotations.
import { describe, expect, it } from 'vitest';
import {
  BETA_DEFAULT_CLASS_ANNOTATION,
  DEFAULT_CLASS_ANNOTATION,
  isDefaultStorageClass,
} from '../src/lib/kube/storage-class.js';
import { defaultClassCheck } from '../src/lib/doctor/doctor.js';

const sc = (annotations?: Record<string, string>) => ({
  metadata: { name: 'c', ...(annotations ? { annotations } : {}) },
  provisioner: 'csi.vsphere.vmware.com',
});

describe('isDefaultStorageClass', () => {
  it('accepts the GA annotation set to "true"', () => {
    expect(isDefaultStorageClass(sc({ [DEFAULT_CLASS_ANNOTATION]: 'true' }))).toBe(true);
  });

  it('accepts the beta annotation alone', () => {
    expect(isDefaultStorageClass(sc({ [BETA_DEFAULT_CLASS_ANNOTATION]: 'true' }))).toBe(true);
  });

  it('accepts the beta annotation even when the GA one says "false", as the admission plugin does', () => {
    expect(
      isDefaultStorageClass(sc({ [DEFAULT_CLASS_ANNOTATION]: 'false', [BETA_DEFAULT_CLASS_ANNOTATION]: 'true' })),
    ).toBe(true);
  });

  it('rejects a class without annotations, or with values other than exactly "true"', () => {
    expect(isDefaultStorageClass(sc())).toBe(false);
    expect(isDefaultStorageClass({})).toBe(false);
    expect(isDefaultStorageClass(sc({ [DEFAULT_CLASS_ANNOTATION]: 'True' }))).toBe(false);
    expect(isDefaultStorageClass(sc({ [BETA_DEFAULT_CLASS_ANNOTATION]: 'yes' }))).toBe(false);
  });

  it("is what doctor's storageclass check uses: a beta-only default passes", () => {
    const result = defaultClassCheck([sc({ [BETA_DEFAULT_CLASS_ANNOTATION]: 'true' })]);
    expect(result.status).toBe('pass');
  });
});
