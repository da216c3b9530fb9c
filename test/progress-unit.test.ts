// The progress core in plain mode (CI logs): what each task prints, how a
// failure stops the list, and what the single-step helpers return and throw.
import { describe, expect, it } from 'vitest';
import { createProgress, nestedProgress, type Task } from '../src/lib/cli/progress.js';
import { createLogger } from '../src/lib/cli/logger.js';
import { Secret } from '../src/lib/core/secret.js';

function plain(statusIntervalMs?: number) {
  const lines: string[] = [];
  const log = createLogger({ debug: false, color: false, write: (l) => lines.push(l) });
  const progress = createProgress({ interactive: false, log, statusIntervalMs });
  // Durations vary: compare them as "<d>".
  const shown = () => lines.map((l) => l.replace(/\((\d+ms|[\d.]+s)\)/, '(<d>)'));
  return { progress, log, lines, shown };
}

const task = (title: string, run: Task['run'], extra: Partial<Task> = {}): Task => ({ title, run, ...extra });

describe('progress, plain lines', () => {
  it('prints each task, its outcome and duration; a skipped task is not run', async () => {
    const { progress, shown } = plain();
    let ran = false;
    const r = await progress.list([
      task('Apply 7 objects', async () => '7 created', { id: 'apply' }),
      task('Taint nodes', async () => void (ran = true), { skip: '--skip taint-nodes' }),
      task('CNS volume in vCenter', async () => ({ skipped: 'no vCenter configured' })),
    ]);
    expect(ran).toBe(false);
    expect(shown()).toEqual([
      'Apply 7 objects...',
      'Apply 7 objects: done (<d>): 7 created',
      'Taint nodes: skipped (--skip taint-nodes)',
      'CNS volume in vCenter...',
      'CNS volume in vCenter: skipped (<d>): no vCenter configured',
    ]);
    expect(r.error).toBeUndefined();
    expect(r.tasks.map((t) => [t.id, t.status, t.detail])).toEqual([
      ['apply', 'done', '7 created'],
      ['Taint nodes', 'skipped', '--skip taint-nodes'],
      ['CNS volume in vCenter', 'skipped', 'no vCenter configured'],
    ]);
  });

  it('stops at the first failure: the error is returned as thrown, later tasks are not run', async () => {
    const { progress, shown } = plain();
    const boom = new Error('1 of 3 nodes not initialized\nsecond line');
    let later = false;
    const r = await progress.list([
      task('Wait', async () => {
        throw boom;
      }),
      task('Verify', async () => void (later = true)),
    ]);
    expect(later).toBe(false);
    expect(r.error).toBe(boom);
    expect(r.tasks.map((t) => [t.id, t.status, t.detail])).toEqual([
      ['Wait', 'failed', '1 of 3 nodes not initialized'],
      ['Verify', 'not run', ''],
    ]);
    expect(shown()).toEqual(['Wait...', 'Wait: failed (<d>): 1 of 3 nodes not initialized']);
  });

  it('does not start a task once the signal has fired', async () => {
    const lines: string[] = [];
    const log = createLogger({ debug: false, color: false, write: (l) => lines.push(l) });
    const ac = new AbortController();
    ac.abort(new Error('received SIGINT'));
    let ran = false;
    const r = await createProgress({ interactive: false, log, signal: ac.signal }).list([
      task('Apply', async () => void (ran = true)),
    ]);
    expect(ran).toBe(false);
    expect((r.error as Error).message).toBe('received SIGINT');
  });

  it('step returns the value and rethrows the error unchanged; skip prints the reason', async () => {
    const { progress, shown } = plain();
    await expect(progress.step('Read VMs', async () => ({ vms: 3 }))).resolves.toEqual({ vms: 3 });
    await progress.skip('Taint uninitialized nodes', 'every node has a providerID');
    const err = Object.assign(new Error('denied'), { exitCode: 7 });
    await expect(
      progress.step('Apply', async () => {
        throw err;
      }),
    ).rejects.toBe(err);
    expect(shown()).toEqual([
      'Read VMs...',
      'Read VMs: done (<d>)',
      'Taint uninitialized nodes: skipped (every node has a providerID)',
      'Apply...',
      'Apply: failed (<d>): denied',
    ]);
  });

  it('thins status lines: repeats dropped, bursts cut to the first and the last', async () => {
    const { progress, lines } = plain(60_000);
    await progress.step('Reconfigure', async (update) => {
      for (let i = 1; i <= 5; i++) update(`reconfiguring: ${i}/5 done`);
    });
    expect(lines.slice(0, 3)).toEqual(['Reconfigure...', '  reconfiguring: 1/5 done', '  reconfiguring: 5/5 done']);
    expect(lines).toHaveLength(4);

    const again = plain(0);
    await again.progress.step('Wait', async (update) => {
      for (const s of ['0 of 2 ready', '0 of 2 ready', '2 of 2 ready']) update(s);
    });
    expect(again.lines.slice(1, -1)).toEqual(['  0 of 2 ready', '  2 of 2 ready']);
  });

  it('redacts secrets: the lines go through the command logger', async () => {
    const { progress, log, lines } = plain();
    log.addSecret(new Secret('S3cr3t!pw'));
    await progress.list([task('Login', async () => 'as admin with S3cr3t!pw')]);
    expect(lines.join('\n')).not.toContain('S3cr3t!pw');
  });
});

describe('nested progress', () => {
  it("shows inner tasks as the outer task's status line and keeps the same outcomes", async () => {
    const status: string[] = [];
    const inner = nestedProgress((s) => status.push(s));
    await inner.skip('Taint', 'every node has a providerID');
    const r = await inner.list([
      task('Apply', async (update) => {
        update('3 of 7 applied');
        return '7 created';
      }),
      task('Wait', async () => {
        throw new Error('timed out');
      }),
      task('Verify', async () => 'ok'),
    ]);
    expect(status).toEqual(['Taint: skipped (every node has a providerID)', 'Apply', 'Apply: 3 of 7 applied', 'Wait']);
    expect(r.tasks.map((t) => t.status)).toEqual(['done', 'failed', 'not run']);
    expect((r.error as Error).message).toBe('timed out');
  });
});
