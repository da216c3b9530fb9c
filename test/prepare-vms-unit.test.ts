// Pure logic of prepare-vms: value parsing, folder paths, suggestions, plans and summaries.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/lib/core/errors.js';
import {
  absoluteFolderPath,
  applyPrepareVms,
  isEnabled,
  summarizePrepareResult,
  validatePrepareInput,
  type PrepareVmsPlan,
  type VmPlan,
} from '../src/lib/vms/prepare-vms.js';
import type { VimClient } from '../src/lib/vsphere/soap/client.js';
import { closest, closestPaths } from '../src/lib/core/suggest.js';
import type { DatacenterRef } from '../src/lib/vsphere/inventory.js';

const dc = { name: 'DC0', path: '/DC0' } as DatacenterRef;

describe('prepare-vms logic', () => {
  it('treats TRUE, true and 1 as enabled, anything else as not', () => {
    for (const v of ['TRUE', 'true', 'True', '1', ' true ']) expect(isEnabled(v), v).toBe(true);
    for (const v of [undefined, '', 'FALSE', '0', 'yes', 'on']) expect(isEnabled(v), String(v)).toBe(false);
  });

  it('resolves relative folders under the datacenter VM folder and keeps absolute ones', () => {
    expect(absoluteFolderPath('k8s', dc)).toBe('/DC0/vm/k8s');
    expect(absoluteFolderPath('k8s/workers/', dc)).toBe('/DC0/vm/k8s/workers');
    expect(absoluteFolderPath('/DC0/vm/k8s', undefined)).toBe('/DC0/vm/k8s');
    expect(absoluteFolderPath('/Europe/DC1//vm/k8s/', undefined)).toBe('/Europe/DC1/vm/k8s');
  });

  it('ranks folder suggestions by edit distance', () => {
    const folders = ['/DC0/vm', '/DC0/vm/k8s', '/DC0/vm/k8s/workers', '/DC0/vm/prod', '/DC0/vm/templates'];
    expect(closestPaths('/DC0/vm/k8z', folders)[0]).toBe('/DC0/vm/k8s');
    expect(closestPaths('/DC0/vm/k8s/worker', folders)[0]).toBe('/DC0/vm/k8s/workers');
    expect(closestPaths('/DC0/vm/x', folders, 2)).toHaveLength(2);
    expect(closest('datastor', ['datacenter', 'datastore'])).toBe('datastore');
    expect(closest('Datacentre', ['datacenter', 'datastore'])).toBe('datacenter');
    expect(closest('xyz', ['datacenter', 'datastore'])).toBeUndefined();
  });

  it('rejects a missing folder and invalid globs as usage errors', () => {
    const base = { recursive: true, include: [], exclude: [] };
    expect(() => validatePrepareInput({ ...base, folder: '' })).toThrow(UsageError);
    expect(() => validatePrepareInput({ ...base, folder: '/' })).toThrow(UsageError);
    expect(() => validatePrepareInput({ ...base, folder: 'k8s', include: [''] })).toThrow(UsageError);
    expect(() => validatePrepareInput({ ...base, folder: 'k8s', include: ['worker-*'] })).not.toThrow();
  });

  it('a dry run reports what would change without calling vCenter', async () => {
    const vm = (name: string, action: VmPlan['action'], before?: string, power: VmPlan['power'] = 'poweredOn') =>
      ({
        name,
        path: `/DC0/vm/k8s/${name}`,
        power,
        template: action === 'skip',
        before,
        action,
        ref: { type: 'VirtualMachine', value: name },
      }) as VmPlan;
    const plan: PrepareVmsPlan = {
      datacenter: 'DC0',
      folder: '/DC0/vm/k8s',
      recursive: true,
      vms: [
        vm('a', 'set'),
        vm('b', 'none', 'true'),
        vm('t', 'skip', undefined, 'poweredOff'),
        vm('c', 'set', 'FALSE', 'poweredOff'),
      ],
    };
    const client = new Proxy(
      {},
      {
        get: () => {
          throw new Error('no request expected');
        },
      },
    ) as unknown as VimClient;
    const result = await applyPrepareVms(client, plan, { concurrency: 8, dryRun: true, taskTimeoutMs: 1000 });
    expect(result.vms.map((v) => [v.name, v.before, v.after, v.result])).toEqual([
      ['a', null, 'TRUE', 'would change'],
      ['b', 'true', 'true', 'already set'],
      ['t', null, null, 'skipped (template)'],
      ['c', 'FALSE', 'TRUE', 'would change'],
    ]);
    expect(result.needPowerCycle).toEqual(['a']);
    expect(summarizePrepareResult(result)).toBe(
      '4 VMs: 2 would change, 1 already set, 1 skipped (template) (dry run: nothing changed)',
    );
  });

  it('summarizes like "24 VMs: 20 changed, 3 already set, 1 failed"', () => {
    const vms = [
      ...Array.from({ length: 20 }, () => ({ result: 'changed' })),
      ...Array.from({ length: 3 }, () => ({ result: 'already set' })),
      { result: 'failed' },
    ];
    expect(summarizePrepareResult({ folder: '/DC0/vm/k8s', dryRun: false, vms, needPowerCycle: [] } as never)).toBe(
      '24 VMs: 20 changed, 3 already set, 1 failed',
    );
  });
});
