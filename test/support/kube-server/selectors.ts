// Label and field selectors with the syntax of k8s.io/apimachinery/pkg/labels
// and pkg/fields: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`.
import { badRequest } from './status.js';
import type { KubeObject } from './types.js';

type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type Matcher = (fields: Record<string, string | undefined>) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseRequirement(term: string, kind: 'label' | 'field'): Requirement {
  let m = /^(\S+?)\s*(==|!=|=)\s*(.*)$/.exec(term);
  if (m) return { key: m[1], op: m[2] === '!=' ? 'neq' : 'eq', value: m[3].trim() };
  if (kind === 'label') {
    m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    if (m) return { key: m[1], op: m[2] as 'in' | 'notin', values: m[3].split(',').map((v) => v.trim()) };
    m = /^!\s*([A-Za-z0-9][-A-Za-z0-9_./]*)$/.exec(term);
    if (m) return { key: m[1], op: 'notexists' };
    m = /^([A-Za-z0-9][-A-Za-z0-9_./]*)$/.exec(term);
    if (m) return { key: m[1], op: 'exists' };
    throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
  }
  throw badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
}

function compile(selector: string | undefined, kind: 'label' | 'field'): Matcher {
  if (!selector) return () => true;
  const reqs = splitTerms(selector).map((t) => parseRequirement(t, kind));
  return (fields) =>
    reqs.every((r) => {
      const v = fields[r.key];
      switch (r.op) {
        case 'eq':
          return (v ?? '') === r.value;
        case 'neq':
          return (v ?? '') !== r.value;
        case 'in':
          return v !== undefined && r.values.includes(v);
        case 'notin':
          return v === undefined || !r.values.includes(v);
        case 'exists':
          return v !== undefined;
        case 'notexists':
          return v === undefined;
      }
    });
}

export const labelMatcher = (selector: string | undefined): Matcher => compile(selector, 'label');

const SUPPORTED_FIELDS = new Set([
  'metadata.name',
  'metadata.namespace',
  'spec.nodeName',
  'status.phase',
  'involvedObject.name',
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.uid',
  'type',
  'reason',
  'spec.unschedulable',
]);

export function fieldMatcher(selector: string | undefined, kind: string): Matcher {
  const m = compile(selector, 'field');
  if (selector) {
    for (const term of splitTerms(selector)) {
      const key = /^([^=!]+)/.exec(term)?.[1]?.trim() ?? term;
      if (!SUPPORTED_FIELDS.has(key)) {
        throw badRequest(`"${key}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
      }
    }
  }
  void kind;
  return m;
}

/** The fields a field selector can see on an object. */
export function selectableFields(obj: KubeObject): Record<string, string | undefined> {
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  const status = (obj.status ?? {}) as Record<string, unknown>;
  const involved = (obj.involvedObject ?? obj.regarding ?? {}) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
  return {
    'metadata.name': obj.metadata.name,
    'metadata.namespace': obj.metadata.namespace ?? '',
    'spec.nodeName': str(spec.nodeName) ?? '',
    'spec.unschedulable': str(spec.unschedulable ?? false),
    'status.phase': str(status.phase) ?? '',
    'involvedObject.name': str(involved.name),
    'involvedObject.kind': str(involved.kind),
    'involvedObject.namespace': str(involved.namespace),
    'involvedObject.uid': str(involved.uid),
    type: str(obj.type),
    reason: str(obj.reason),
  };
}
