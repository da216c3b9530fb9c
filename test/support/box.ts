// The one way a test suite gets the box: started once in beforeAll, stopped
// in afterAll.
//
//   const box = useBox({ vcsim: { folder: '/DC0/vm/k8s', folderVms: 3 } });
//   it('…', async () => { await runVk(['taint-nodes'], box.env); });
//
// The value stands for the box from beforeAll on; touching it earlier (at
// collection time) is an error that says so.
import { afterAll, beforeAll } from 'vitest';
import { startBox, type Box, type BoxOptions } from '../box/cluster.js';

export function useBox(opts: BoxOptions = {}): Box {
  let box: Box | undefined;
  beforeAll(async () => {
    box = await startBox(opts);
  }, 180_000);
  afterAll(async () => {
    await box?.stop();
  });
  return new Proxy({} as Box, {
    get(_target, key) {
      if (!box) throw new Error(`box.${String(key)} used before the box started (only inside tests and hooks)`);
      return Reflect.get(box, key);
    },
  });
}
