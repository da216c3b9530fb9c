// The one way tests run the built CLI: a vk that hangs past its time is a
// test failure, never an exit code a test could accept.
import { describe, expect, it } from 'vitest';
import { runVk } from './support/run-vk.js';

describe('runVk', () => {
  it('rejects when vk is killed for taking too long', async () => {
    await expect(runVk(['--version'], {}, { timeoutMs: 1 })).rejects.toThrow(/did not finish within 0.001s \(killed\)/);
  });

  it('resolves with the exit code when vk ends in time', async () => {
    const r = await runVk(['--version']);
    expect(r.code).toBe(0);
    expect(r.signal).toBeNull();
  });
});
