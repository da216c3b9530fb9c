// Redaction of passwords in messages: every occurrence, also URL-encoded, and
// a short password only where it stands alone.
import { describe, expect, it } from 'vitest';
import { redact, Secret } from '../src/lib/core/secret.js';

describe('redact', () => {
  it('replaces a password and its URL encoding wherever it occurs', () => {
    const s = new Secret('Pa55 w#rd!');
    expect(redact('login Pa55 w#rd! failed; url https://u:Pa55%20w%23rd!@vc/sdk', [s])).toBe(
      'login <redacted> failed; url https://u:<redacted>@vc/sdk',
    );
    expect(`${s}`).toBe('<redacted>');
    expect(JSON.stringify({ s })).toBe('{"s":"<redacted>"}');
  });

  it('replaces a short password only where it stands alone, so the message stays readable', () => {
    const s = new Secret('p');
    expect(redact('cannot connect to vCenter at https://x.example.com: password p rejected', [s])).toBe(
      'cannot connect to vCenter at https://x.example.com: password <redacted> rejected',
    );
    expect(redact('user:p@', [new Secret('p')])).toBe('user:<redacted>@');
  });
});
