// XML for the vim25 wire format: escaping, writing typed request arguments
// (ordered elements, xsi:type for polymorphic data objects) and parsing
// responses into a plain element tree that decode.ts turns into values.

import { XMLParser } from 'fast-xml-parser';
import { Secret } from '../../core/secret.js';
import { MAX_DEPTH } from './limits.js';
import type { ManagedObjectReference } from '../types.js';

/** Escapes text for element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => XML_ESCAPES[c]!);
}

const XML_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' };

/** Removes characters XML 1.0 cannot carry at all (they would make vCenter reject the request). */
function xmlSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
}

/**
 * A value sent with an explicit xsi:type, for `anyType` fields such as
 * OptionValue.value: `xsd('string', 'TRUE')`.
 */
export interface XsdValue {
  readonly _type: string;
  readonly _value: string | number | boolean;
}

export function xsd(type: 'string' | 'int' | 'long' | 'boolean' | 'short', value: string | number | boolean): XsdValue {
  return { _type: `xsd:${type}`, _value: value };
}

/**
 * A request argument or data object. Plain objects are written field by
 * field in insertion order (vim25 is a sequence schema: order matters);
 * `_type` adds xsi:type (needed wherever the declared type is a base type,
 * e.g. `{ _type: 'OptionValue', key, value }` inside extraConfig).
 */
export type SoapValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Secret
  | ManagedObjectReference
  | XsdValue
  | SoapObject
  | readonly SoapValue[]
  | null
  | undefined;

export interface SoapObject {
  readonly _type?: string;
  readonly [field: string]: SoapValue;
}

function isMoRef(v: object): v is ManagedObjectReference {
  const keys = Object.keys(v);
  return keys.length === 2 && 'type' in v && 'value' in v && typeof v.type === 'string' && typeof v.value === 'string';
}

/** Writes one named element (or several, for arrays). */
export function writeElement(name: string, value: SoapValue, out: string[]): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value as SoapValue[]) writeElement(name, item, out);
    return;
  }
  if (value instanceof Secret) {
    out.push(`<${name}>${escapeXml(xmlSafe(value.reveal()))}</${name}>`);
    return;
  }
  if (value instanceof Date) {
    out.push(`<${name}>${value.toISOString()}</${name}>`);
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(`<${name}>${escapeXml(xmlSafe(value))}</${name}>`);
      return;
    case 'number':
    case 'bigint':
    case 'boolean':
      out.push(`<${name}>${String(value)}</${name}>`);
      return;
  }
  const obj = value as SoapObject;
  if ('_value' in obj && typeof obj._type === 'string') {
    const v = (obj as unknown as XsdValue)._value;
    out.push(`<${name} xsi:type="${escapeXml(obj._type)}">${escapeXml(xmlSafe(String(v)))}</${name}>`);
    return;
  }
  if (isMoRef(obj)) {
    out.push(`<${name} type="${escapeXml(obj.type)}">${escapeXml(obj.value)}</${name}>`);
    return;
  }
  const typeAttr = obj._type ? ` xsi:type="${escapeXml(obj._type)}"` : '';
  if (obj._type === 'ManagedObjectReference') {
    const ref = obj as unknown as ManagedObjectReference & { _type: string };
    out.push(`<${name}${typeAttr} type="${escapeXml(ref.type)}">${escapeXml(ref.value)}</${name}>`);
    return;
  }
  out.push(`<${name}${typeAttr}>`);
  for (const [field, v] of Object.entries(obj)) {
    if (field !== '_type') writeElement(field, v, out);
  }
  out.push(`</${name}>`);
}

export interface EnvelopeOptions {
  /** Method namespace: urn:vim25 (default), urn:pbm, … */
  namespace?: string;
  /** Session cookie value sent as the vcSessionCookie SOAP header (PBM, CNS). */
  sessionCookie?: string;
}

/** The SOAP envelope for one vim25 method call. */
export function envelope(
  method: string,
  self: ManagedObjectReference,
  args: SoapObject = {},
  options: EnvelopeOptions = {},
): string {
  const header = options.sessionCookie
    ? `<soapenv:Header><vcSessionCookie>${escapeXml(options.sessionCookie)}</vcSessionCookie></soapenv:Header>`
    : '';
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"',
    ' xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
    `${header}<soapenv:Body><${method} xmlns="${escapeXml(options.namespace ?? 'urn:vim25')}">`,
  ];
  writeElement('_this', self, out);
  for (const [field, v] of Object.entries(args)) writeElement(field, v, out);
  out.push(`</${method}></soapenv:Body></soapenv:Envelope>`);
  return out.join('');
}

/**
 * A parsed node, as fast-xml-parser's preserveOrder mode builds it: an
 * element is an object whose one key is its tag, holding its child nodes in
 * document order, plus its attributes under `:@` (`@name`, prefixes kept so
 * that `@xsi:type` and a MoRef's `@type` stay apart); text is
 * `{ '#text': string }`. Read it through the helpers below.
 */
export interface XmlNode {
  readonly [key: string]: XmlNode[] | XmlAttributes | string | undefined;
}
export type XmlAttributes = Readonly<Record<string, string>>;

const TEXT = '#text';
const ATTRIBUTES = ':@';

const entityPattern = /&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g;
const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five XML entities and numeric character references in one pass. */
export function unescapeXml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(entityPattern, (_, e: string) => {
    if (e[0] !== '#') return namedEntities[e]!;
    const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
  });
}

let parser: XMLParser | undefined;

/**
 * Parses a document into its top-level elements by tag. preserveOrder keeps
 * the parser's own node list instead of having it build a second, keyed
 * copy of the whole tree: a 1000-VM retrieve from vcsim is 26k elements,
 * and that copy was a third of the parse time plus its garbage.
 */
export function parseXml(text: string): Record<string, XmlNode[]> {
  parser ??= new XMLParser({
    preserveOrder: true,
    ignoreDeclaration: true,
    // xmlns declarations say nothing decode.ts needs (vim25 repeats one on every <val>).
    ignoreAttributes: (name: string) => name.startsWith('xmlns'),
    attributeNamePrefix: '@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    processEntities: false,
    // Callbacks get the path matcher, not a string built for every tag.
    jPath: false,
    // A SOAP answer nested deeper than this is malformed (see limits.ts).
    maxNestedTags: MAX_DEPTH,
    tagValueProcessor: (_name, value) => unescapeXml(value),
    attributeValueProcessor: (_name, value) => unescapeXml(value),
  });
  const doc: Record<string, XmlNode[]> = {};
  for (const node of parser.parse(text) as XmlNode[]) {
    const tag = tagOf(node);
    if (tag !== undefined) (doc[tag] ??= []).push(node);
  }
  return doc;
}

/** The tag of an element as written (`soapenv:Body`); undefined for text. */
export function tagOf(node: XmlNode): string | undefined {
  for (const key in node) return key === TEXT || key === ATTRIBUTES ? undefined : key;
  return undefined;
}

/** All child nodes of an element (elements and text), in document order. */
export function childNodes(node: XmlNode): XmlNode[] {
  for (const key in node) {
    if (key === TEXT) return [];
    if (key !== ATTRIBUTES) return node[key] as XmlNode[];
  }
  return [];
}

/** The text of a text node; undefined for an element. */
export function textNodeValue(node: XmlNode): string | undefined {
  return node[TEXT] as string | undefined;
}

/** The attributes of an element (`@name` keys), if it has any. */
export function attributesOf(node: XmlNode): XmlAttributes | undefined {
  return node[ATTRIBUTES] as XmlAttributes | undefined;
}

/** The child elements of `node`, in document order. */
export function elements(node: XmlNode | undefined): XmlNode[] {
  return node ? childNodes(node).filter((c) => tagOf(c) !== undefined) : [];
}

/** Local name of a possibly prefixed tag (`soapenv:Body` → `Body`). */
export function localName(tag: string): string {
  const i = tag.indexOf(':');
  return i < 0 ? tag : tag.slice(i + 1);
}

/** The children of `node` whose local name is `name`. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (!node) return [];
  return childNodes(node).filter((c) => {
    const tag = tagOf(c);
    return tag !== undefined && localName(tag) === name;
  });
}

/** The text content of an element (its text children joined; '' when empty). */
export function textOf(node: XmlNode | undefined): string {
  if (node === undefined) return '';
  let text = '';
  for (const c of childNodes(node)) {
    const t = c[TEXT];
    if (typeof t === 'string') text += t;
  }
  return text;
}

/** The xsi:type of an element, without its prefix, if it has one. */
export function xsiType(node: XmlNode): string | undefined {
  const attrs = attributesOf(node);
  if (!attrs) return undefined;
  for (const key in attrs) {
    if (key.includes(':') && localName(key) === 'type') {
      const v = attrs[key]!;
      return v.startsWith('xsd:') ? v : localName(v);
    }
  }
  return undefined;
}
