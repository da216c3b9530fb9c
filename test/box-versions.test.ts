// The box runs what it says, and what vk's tables call current: its
// Kubernetes is the newest minor vk's compatibility table supports, and the Go
// modules pin the same releases as test/box/versions.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compatibilityTable } from '../src/lib/drivers/manifests/compatibility.js';
import { KUBERNETES_VERSION, KWOK_VERSION } from './box/versions.js';

const goMod = (m: string) => readFileSync(join(import.meta.dirname, 'box', m, 'go.mod'), 'utf8');
const minorOf = (v: string) => Number(v.split('.')[1]);

describe('box versions', () => {
  it('Kubernetes is the newest minor of the compatibility table, pinned in test/box/kube', () => {
    const newest = Math.max(...compatibilityTable().map((r) => minorOf(r.kubernetes)));
    expect(minorOf(KUBERNETES_VERSION)).toBe(newest);
    const mod = goMod('kube');
    expect(mod).toContain(`k8s.io/kubernetes ${KUBERNETES_VERSION}`);
    // Every staging module follows the release: v1.NN.P ↔ v0.NN.P.
    const staging = KUBERNETES_VERSION.replace(/^v1\./, 'v0.');
    const pins = [...mod.matchAll(/^\s+(k8s\.io\/[\w-]+) => \1 (v\S+)$/gm)];
    expect(pins.length).toBeGreaterThan(25);
    for (const [, name, v] of pins) expect(`${name} ${v}`).toBe(`${name} ${staging}`);
  });

  it('kwok is pinned in test/box/kwok', () => {
    expect(goMod('kwok')).toContain(`sigs.k8s.io/kwok ${KWOK_VERSION}`);
  });
});
