// Turns parsed vim25 XML into plain values: numbers and booleans by their
// wire type, ManagedObjectReference as {type, value}, arrays as arrays,
// and data objects as objects carrying `_type` when the wire said xsi:type
// (a DatastoreInfo that is really a NasDatastoreInfo, a fault's kind).
//
// This runs once per element of every response (a 1000-VM retrieve from
// vcsim has 26k), so each element is visited once, in document order, and
// field types are looked up in a per-type cache rather than walked per element.

import { arrayElementType, fieldType, isKnownType } from './schema.js';
import { attributesOf, childNodes, localName, tagOf, textNodeValue, xsiType, type XmlNode } from './xml.js';

const numberTypes = new Set(['int', 'long', 'short', 'byte', 'float', 'double']);

function primitive(type: string, text: string): unknown {
  if (numberTypes.has(type)) return Number(text);
  if (type === 'boolean') return text === 'true' || text === '1';
  return text;
}

/** How a field of a data object decodes: its element type, and whether it repeats. */
interface FieldSpec {
  item: string | undefined;
  array: boolean;
}

const arrayItems = new Map<string, string | undefined>();

/** The element type of an `ArrayOfX` type (cached: asked once per element). */
function arrayItemType(type: string): string | undefined {
  if (!arrayItems.has(type)) arrayItems.set(type, arrayElementType(type));
  return arrayItems.get(type);
}

const fieldSpecs = new Map<string | undefined, Map<string, FieldSpec>>();

function fieldSpec(type: string | undefined, field: string): FieldSpec {
  let byField = fieldSpecs.get(type);
  if (!byField) fieldSpecs.set(type, (byField = new Map()));
  let spec = byField.get(field);
  if (!spec) {
    const declared = fieldType(type, field);
    spec = declared?.endsWith('[]') ? { item: declared.slice(0, -2), array: true } : { item: declared, array: false };
    byField.set(field, spec);
  }
  return spec;
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
  const kids = childNodes(node);

  const arrayItem = type ? arrayItemType(type) : undefined;
  if (arrayItem) {
    const items: unknown[] = [];
    for (const child of kids) if (tagOf(child) !== undefined) items.push(decodeValue(child, arrayItem));
    return items;
  }
  // One pass over the children: the text, and whether there are elements.
  let text = '';
  let withElements = false;
  for (const child of kids) {
    const t = textNodeValue(child);
    if (t === undefined) withElements = true;
    else text += t;
  }
  const attrs = attributesOf(node);
  if (type === 'ManagedObjectReference' || (type === undefined && attrs?.['@type'] !== undefined && !withElements)) {
    return { type: attrs?.['@type'] ?? '', value: text };
  }
  const plain = attrs === undefined && !withElements;
  if (plain || (type !== undefined && !isDataObjectType(type))) return primitive(type ?? 'string', text);
  // Text without child elements is a string, or an enum value with its type
  // (<val xsi:type="VirtualMachinePowerState">poweredOn</val>).
  if (!withElements && (type === undefined || text !== '')) return text;

  const out: Record<string, unknown> = {};
  if (wire) out._type = wire;
  // A subtype the schema does not list (a CnsBlockBackingDetails where
  // CnsBackingObjectDetails is declared, any fault as a MethodFault) reads
  // the fields it inherits as its declared type does.
  const fieldsOf = wire && declared && declared !== 'anyType' && !isKnownType(wire) ? declared : type;
  // Fields without a declared type that appeared more than once (then an array).
  let repeated: Set<string> | undefined;
  for (const child of kids) {
    const tag = tagOf(child);
    if (tag === undefined) continue;
    const field = localName(tag);
    const spec = fieldSpec(fieldsOf, field);
    if (spec.array) {
      const list = (out[field] ??= []) as unknown[];
      list.push(decodeValue(child, spec.item));
    } else if (out[field] === undefined) {
      out[field] = decodeValue(child, spec.item);
    } else if (spec.item === undefined) {
      // A field without a schema entry: one element is a value, several an array.
      if (repeated?.has(field)) (out[field] as unknown[]).push(decodeValue(child, undefined));
      else {
        (repeated ??= new Set()).add(field);
        out[field] = [out[field], decodeValue(child, undefined)];
      }
    }
    // A declared single-valued field repeated on the wire keeps its first value.
  }
  return out;
}

/** Data object and enum type names start upper case; xsd primitives do not. */
function isDataObjectType(type: string): boolean {
  const c = type.charCodeAt(0);
  return c >= 65 && c <= 90;
}
