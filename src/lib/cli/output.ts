// Output: a command produces a result value; this module writes it as a
// table for people or as JSON/YAML for scripts. stdout carries only results.

export const outputFormats = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof outputFormats)[number];

export type Cell = string | number | boolean | null | undefined;

export interface Table {
  columns: string[];
  rows: Cell[][];
}

/** kubectl-style table: upper-case headers, columns padded with three spaces. */
export function formatTable(table: Table): string {
  const cells = [table.columns.map((c) => c.toUpperCase()), ...table.rows.map((r) => r.map(cellText))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((r) => displayWidth(r[i] ?? ''))));
  const lines = cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - displayWidth(c) + 3)))
      .join('')
      .trimEnd(),
  );
  return lines.join('\n') + '\n';
}

function cellText(c: Cell): string {
  if (c === null || c === undefined || c === '') return '-';
  return String(c);
}

/** Width in terminal columns (wide East Asian characters take two). */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    w +=
      cp >= 0x1100 &&
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]|[\u{20000}-\u{3fffd}]/u.test(
        ch,
      )
        ? 2
        : 1;
  }
  return w;
}

/** Serializes a value as JSON or YAML (YAML loaded only when asked for). */
export async function serialize(value: unknown, format: 'json' | 'yaml'): Promise<string> {
  if (format === 'json') return JSON.stringify(value, null, 2) + '\n';
  const yaml = await import('js-yaml');
  // Round-trip through JSON so toJSON() (e.g. Secret redaction) applies.
  return yaml.dump(JSON.parse(JSON.stringify(value)), { noRefs: true, lineWidth: -1 });
}

/**
 * Renders a result: `toText` makes the human form (a Table or ready text),
 * JSON/YAML print the value itself.
 */
export async function renderResult<T>(
  value: T,
  format: OutputFormat,
  toText: (v: T) => Table | string,
): Promise<string> {
  if (format === 'table') {
    const t = toText(value);
    return typeof t === 'string' ? t : formatTable(t);
  }
  return serialize(value, format);
}

const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** Human size like govc: 1024-based, one decimal ("1.5GB"). */
export function humanBytes(bytes: number): string {
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)}${units[i]}`;
}
