// The Kubernetes objects vk generates (Secret, ConfigMap) and their
// redaction: values that hold credentials are `Secret`s or `SecretText`s,
// which print as `<redacted>` (or the redacted rendering) through toJSON, so
// the default output can never leak them; `revealObjects` yields the real
// values for the few writers that must emit them (--show-secrets, --file,
// --apply).

import { Secret } from '../core/secret.js';

/** A text that embeds credentials: the redacted rendering prints, the real one is revealed on demand. */
export class SecretText {
  readonly #redacted: string;
  readonly #real: Secret;

  constructor(redacted: string, real: string) {
    this.#redacted = redacted;
    this.#real = new Secret(real);
  }

  reveal(): string {
    return this.#real.reveal();
  }

  toString(): string {
    return this.#redacted;
  }

  toJSON(): string {
    return this.#redacted;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.#redacted;
  }
}

export type DataValue = string | Secret | SecretText;

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
}

export interface SecretObject<V = DataValue> {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: ObjectMeta;
  type: 'Opaque';
  stringData: Record<string, V>;
}

export interface ConfigMapObject {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: ObjectMeta;
  data: Record<string, string>;
}

export type GeneratedObject = SecretObject | ConfigMapObject;
export type RevealedObject = SecretObject<string> | ConfigMapObject;

/** The objects with every credential in clear text. */
export function revealObjects(objects: readonly GeneratedObject[]): RevealedObject[] {
  return objects.map((o) => {
    if (o.kind !== 'Secret') return o;
    const stringData: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.stringData)) stringData[k] = typeof v === 'string' ? v : v.reveal();
    return { ...o, stringData };
  });
}

/** The objects as they print by default: every credential `<redacted>`. */
export function redactedObjects(objects: readonly GeneratedObject[]): RevealedObject[] {
  return JSON.parse(JSON.stringify(objects)) as RevealedObject[];
}

/** A YAML stream (`---` between documents) or a JSON `List`, like kubectl prints. */
export async function renderObjects(objects: readonly RevealedObject[], format: 'yaml' | 'json'): Promise<string> {
  if (format === 'json') {
    return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2) + '\n';
  }
  const yaml = await import('js-yaml');
  return objects.map((o) => yaml.dump(o, { noRefs: true, lineWidth: -1 })).join('---\n');
}
