// Turns parsed vim25 XML into plain values: numbers and booleans by their
// wire type, ManagedObjectReference as {type, value}, arrays as arrays,
// and data objects as objects carrying `_type` when the wire said xsi:type
// (a DatastoreInfo that is really a NasDatastoreInfo, a fault's kind).

import { arrayElementType, fieldType } from './schema.js';
import { localName, textOf, xsiType, type XmlNode } from './xml.js';

const numberTypes = new Set(['int', 'long', 'short', 'byte', 'float', 'double']);

function primitive(type: string, text: string): unknown {
  if (numberTypes.has(type)) return Number(text);
  if (type === 'boolean') return text === 'true' || text === '1';
  return text;
}

function isMoRefNode(node: XmlNode): boolean {
  if (typeof node === 'string') return false;
  return typeof node['@type'] === 'string' && Object.keys(node).every((k) => k[0] === '@' || k === '#text');
}

/**
 * Decodes `nodes` (the repeated elements of one field) as `spec`: a type
 * name, optionally with `[]`. Without a spec, one element is a value and
 * several are an array.
 */
export function decodeField(nodes: XmlNode[], spec: string | undefined): unknown {
  if (spec?.endsWith('[]')) {
    const item = spec.slice(0, -2);
    return nodes.map((n) => decodeValue(n, item));
  }
  if (spec === undefined && nodes.length > 1) return nodes.map((n) => decodeValue(n, undefined));
  return nodes.length === 0 ? undefined : decodeValue(nodes[0]!, spec);
}

/** Decodes one element whose declared type is `declared` (its xsi:type wins). */
export function decodeValue(node: XmlNode, declared: string | undefined): unknown {
  const wire = xsiType(node);
  let type = wire ?? (declared === 'anyType' ? undefined : declared);
  if (type?.startsWith('xsd:')) type = type.slice(4);

  const arrayItem = type ? arrayElementType(type) : undefined;
  if (arrayItem) {
    if (typeof node === 'string') return [];
    const items: unknown[] = [];
    for (const [key, value] of Object.entries(node)) {
      if (key[0] === '@' || key === '#text' || !Array.isArray(value)) continue;
      for (const child of value) items.push(decodeValue(child, arrayItem));
    }
    return items;
  }
  if (type === 'ManagedObjectReference' || (type === undefined && isMoRefNode(node))) {
    return typeof node === 'string'
      ? { type: '', value: node }
      : { type: node['@type'] as string, value: textOf(node) };
  }
  if (typeof node === 'string' || (type !== undefined && !/^[A-Z]/.test(type))) {
    return primitive(type ?? 'string', textOf(node));
  }
  const hasChildren = Object.entries(node).some(([k, v]) => k[0] !== '@' && k !== '#text' && Array.isArray(v));
  // Text without child elements is a string, or an enum value with its type
  // (<val xsi:type="VirtualMachinePowerState">poweredOn</val>).
  if (!hasChildren && (type === undefined || textOf(node) !== '')) return textOf(node);

  const out: Record<string, unknown> = {};
  if (wire) out._type = wire;
  for (const [key, value] of Object.entries(node)) {
    if (key[0] === '@' || key === '#text' || !Array.isArray(value)) continue;
    const field = localName(key);
    out[field] = decodeField(value, fieldType(type, field));
  }
  return out;
}
