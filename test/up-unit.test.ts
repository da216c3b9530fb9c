import { describe, expect, it } from 'vitest';
import { selectSteps } from '../src/lib/up/up.js';

describe('selectSteps', () => {
  it('runs every step by default', () => {
    expect([...selectSteps([]).values()]).toEqual(Array(6).fill(undefined));
  });
  it('skips the steps before --from and the --skip ones, saying why', () => {
    expect(Object.fromEntries(selectSteps(['smoke-test'], 'install-cpi'))).toEqual({
      'prepare-vms': '--from install-cpi',
      'taint-nodes': '--from install-cpi',
      'install-cpi': undefined,
      'install-csi': undefined,
      storageclass: undefined,
      'smoke-test': '--skip smoke-test',
    });
  });
  it('leaves the smoke test out of a dry run', () => {
    expect(selectSteps([], undefined, true).get('smoke-test')).toBe('dry run: it would create a volume');
  });
});
