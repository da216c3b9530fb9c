// Pure logic of the taint step: which taints a node ends up with, and the summary line.
import type { V1Node, V1Taint } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  desiredTaints,
  planNode,
  summarizeTaintResult,
  UNINITIALIZED_TAINT,
  validateTaintInput,
} from '../src/lib/nodes/taint-nodes.js';
import { UsageError } from '../src/lib/core/errors.js';

const other: V1Taint = { key: 'dedicated', value: 'db', effect: 'NoExecute' };
const node = (taints?: V1Taint[]): V1Node => ({ metadata: { name: 'w-1', resourceVersion: '7' }, spec: { taints } });

describe('taint plan', () => {
  it('adds the taint once and keeps every other taint', () => {
    const p = planNode(node([other]), UNINITIALIZED_TAINT, 'add');
    expect(p.action).toBe('taint');
    expect(p.desired).toEqual([other, UNINITIALIZED_TAINT]);
    const again = planNode(node(p.desired), UNINITIALIZED_TAINT, 'add');
    expect(again.action).toBe('none');
  });

  it('removes only the uninitialized taint; a node without it is left alone', () => {
    const p = planNode(node([other, { ...UNINITIALIZED_TAINT }]), UNINITIALIZED_TAINT, 'remove');
    expect(p.action).toBe('untaint');
    expect(p.desired).toEqual([other]);
    expect(planNode(node([other]), UNINITIALIZED_TAINT, 'remove').action).toBe('none');
    expect(planNode(node(), UNINITIALIZED_TAINT, 'remove').action).toBe('none');
  });

  it('same key and effect with another value is updated in place, not duplicated', () => {
    const t = desiredTaints([{ ...UNINITIALIZED_TAINT, value: 'false' }, other], UNINITIALIZED_TAINT, 'add');
    expect(t).toEqual([UNINITIALIZED_TAINT, other]);
  });

  it('rejects invalid names and names with a selector before any request', () => {
    expect(() => validateTaintInput({ names: ['Worker_1'], operation: 'add' })).toThrow(UsageError);
    expect(() => validateTaintInput({ names: ['w-1'], selector: 'a=b', operation: 'add' })).toThrow(
      'node names and --selector cannot be combined',
    );
    expect(() => validateTaintInput({ names: ['w-1.lab.local'], operation: 'add' })).not.toThrow();
  });

  it('summarizes like "5 nodes: 3 tainted, 2 already tainted"', () => {
    const nodes = [
      ...Array.from({ length: 3 }, (_, i) => ({ name: `a${i}`, action: 'tainted' as const, taints: [] })),
      ...Array.from({ length: 2 }, (_, i) => ({ name: `b${i}`, action: 'already tainted' as const, taints: [] })),
    ];
    const r = { taint: '', operation: 'add' as const, dryRun: false, nodes };
    expect(summarizeTaintResult(r)).toBe('5 nodes: 3 tainted, 2 already tainted');
    expect(summarizeTaintResult({ ...r, dryRun: true })).toBe(
      '5 nodes: 3 would be tainted, 2 already tainted (dry run, nothing changed)',
    );
  });
});
