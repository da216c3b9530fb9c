// A writer for the INI dialect of gopkg.in/gcfg.v1 (v1.2.3), the parser the
// vSphere CSI driver reads csi-vsphere.conf with. Every value is written
// double-quoted with exactly the escapes gcfg knows inside quotes, so `;`,
// `#`, `=`, quotes, backslashes, spaces and non-ASCII text survive.
//
// The rules come from gcfg's scanner (scanner/scanner.go: scanValString,
// scanString, scanEscape) and read.go (unquote):
// - in a quoted value the only escapes are \\ \" \n \t; anything else
//   (\u, \r, ...) is "unknown escape sequence";
// - a carriage return anywhere in a value is stripped, so it cannot be
//   carried at all;
// - a subsection name ([Section "name"]) accepts only \\ and \", and cannot
//   hold a newline ("string not terminated"); an empty name is refused;
// - NUL is an illegal character everywhere.

import { UsageError, VkError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';

export type IniValue = string | boolean | number | Secret;

export interface IniSection {
  /** Section name, e.g. `Global` or `VirtualCenter`. */
  name: string;
  /** Subsection name, e.g. the server in `[VirtualCenter "vc.example.com"]`. */
  subsection?: string;
  /** Variables in order; undefined values are left out. */
  entries: Array<[key: string, value: IniValue | undefined]>;
}

export interface IniWriteOptions {
  /** Write the real value of Secret entries (otherwise `<redacted>`). */
  reveal: boolean;
}

/** Escapes a value for use inside double quotes in gcfg. */
export function quoteIniValue(value: string, what = 'value'): string {
  let out = '"';
  for (const ch of value) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\r':
        throw new UsageError(`${what} contains a carriage return, which the CSI driver's config parser drops`);
      case '\0':
        throw new UsageError(`${what} contains a NUL character, which the CSI driver's config parser refuses`);
      default:
        out += ch;
    }
  }
  return out + '"';
}

/** Escapes a subsection name (`[Section "name"]`) per gcfg's rules. */
export function quoteIniSubsection(name: string, what = 'section name'): string {
  if (name === '') throw new UsageError(`${what} is empty; the CSI driver's config parser refuses empty names`);
  if (/[\n\r\0]/.test(name)) {
    throw new UsageError(`${what} ${JSON.stringify(name)} contains a line break or NUL, which cannot be written there`);
  }
  return '"' + name.replaceAll('\\', '\\\\').replaceAll('"', '\\"') + '"';
}

function valueText(value: IniValue, opts: IniWriteOptions): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return opts.reveal ? value.reveal() : String(value);
}

/** Renders sections as gcfg INI text, every value quoted. */
export function renderIni(sections: IniSection[], opts: IniWriteOptions): string {
  const blocks: string[] = [];
  for (const s of sections) {
    const header =
      s.subsection === undefined ? `[${s.name}]` : `[${s.name} ${quoteIniSubsection(s.subsection, `${s.name} name`)}]`;
    const lines = [header];
    for (const [key, value] of s.entries) {
      if (value === undefined) continue;
      lines.push(`${key} = ${quoteIniValue(valueText(value, opts), `${s.name} ${key}`)}`);
    }
    blocks.push(lines.join('\n'));
  }
  return blocks.join('\n\n') + '\n';
}

/** A section as read back: keys lower-cased (gcfg matches names case-insensitively), values unquoted. */
export interface ParsedIniSection {
  name: string;
  subsection?: string;
  /** Every value of each key, in order (gcfg keeps the last for single-valued fields). */
  values: Map<string, string[]>;
}

/** The value of `key` (the last one given), or undefined. */
export function iniValue(section: ParsedIniSection | undefined, key: string): string | undefined {
  return section?.values.get(key.toLowerCase())?.at(-1);
}

const INI_HEADER = /^\[\s*([A-Za-z][\w.-]*)\s*(?:"((?:[^"\\]|\\.)*)")?\s*\]\s*(?:[;#].*)?$/;

/**
 * The text with every `key = …` line of the sections `select` picks set to
 * the quoted value; every other line, comment and section as it was. The
 * sections are those parseIni reads, in the same order.
 */
export function setIniValue(
  text: string,
  select: (section: ParsedIniSection) => boolean,
  key: string,
  value: string,
): string {
  const sections = parseIni(text);
  const entry = new RegExp(`^(\\s*)${key.replace(/[.-]/g, '\\$&')}\\s*(=|$)`, 'i');
  let index = -1;
  return text
    .split('\n')
    .map((raw) => {
      if (INI_HEADER.test(raw.trim())) index++;
      else if (index >= 0 && select(sections[index]!) && entry.test(raw)) {
        return `${entry.exec(raw)![1]}${key} = ${quoteIniValue(value, key)}`;
      }
      return raw;
    })
    .join('\n');
}

/**
 * Reads gcfg INI text: `[Section]`, `[Section "sub"]`, `key = value`, a bare
 * `key` (boolean true), `;`/`#` comments, quoted values with \\ \" \n \t.
 * Lenient: it reads what the drivers wrote; a line it cannot read is an error
 * naming the line.
 */
export function parseIni(text: string): ParsedIniSection[] {
  const sections: ParsedIniSection[] = [];
  let current: ParsedIniSection | undefined;
  const lines = text.replaceAll('\r', '').split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    const header = INI_HEADER.exec(line);
    if (header) {
      current = { name: header[1]!, subsection: header[2]?.replace(/\\(.)/g, '$1'), values: new Map() };
      sections.push(current);
      return;
    }
    const entry = /^([A-Za-z][\w-]*)\s*(?:=\s*(.*))?$/.exec(line);
    if (!entry || !current) throw new VkError(`line ${i + 1}: cannot read ${JSON.stringify(line.slice(0, 40))}`);
    const key = entry[1]!.toLowerCase();
    const value = entry[2] === undefined ? 'true' : unquoteIniValue(entry[2]);
    current.values.set(key, [...(current.values.get(key) ?? []), value]);
  });
  return sections;
}

/** A gcfg value: quoted parts unescaped, unquoted parts up to a comment, outer blanks trimmed. */
function unquoteIniValue(raw: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (quoted && ch === '\\' && i + 1 < raw.length) {
      const next = raw[++i]!;
      out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
    } else if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ';' || ch === '#')) break;
    else out += ch;
  }
  return quoted ? out : out.trim();
}
