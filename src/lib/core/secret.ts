// Secrets are a type, not a convention: a Secret prints as <redacted> in
// every form (string, JSON, inspect) and only `reveal()` yields the value,
// which the few writers that must emit it call explicitly.

const REDACTED = '<redacted>';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The real value. Call only where it must be sent or written. */
  reveal(): string {
    return this.#value;
  }

  get isEmpty(): boolean {
    return this.#value.length === 0;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspectSymbol](): string {
    return REDACTED;
  }

  static readonly redacted = REDACTED;
}

/**
 * Below this length a secret is replaced only where it stands alone (not
 * inside a word), so a short password does not shred every message that
 * happens to contain its letters (`htt<redacted>s://` for the password `p`).
 */
const SHORT_SECRET = 6;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces the secrets' values (and their URL encodings) in text, for logs and errors. */
export function redact(text: string, secrets: Array<Secret | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.isEmpty) continue;
    const v = s.reveal();
    const enc = encodeURIComponent(v);
    for (const form of enc === v ? [v] : [v, enc]) {
      out =
        form.length >= SHORT_SECRET
          ? out.split(form).join(REDACTED)
          : out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(form)}(?![\\p{L}\\p{N}])`, 'gu'), REDACTED);
    }
  }
  return out;
}
