/**
 * Aligned plain-text tables: upper-case headers, columns separated by two spaces, no trailing
 * spaces. Cell text must already be printable (see bytes-format.ts).
 */

export type Row = readonly string[];

const COMBINING = /^[\p{Mn}\p{Me}]$/u;
const WIDE = /^[\p{Extended_Pictographic}\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]$/u;

function columnsOf(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (COMBINING.test(ch) || (cp >= 0x200b && cp <= 0x200f)) return 0;
  return WIDE.test(ch) ? 2 : 1;
}

/** Terminal columns of a cell: wide (CJK, emoji) characters take two, combining marks none. */
export function cellWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += columnsOf(ch);
  return width;
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - cellWidth(text)));
}

/** Column widths that fit the headers and every row. */
export function columnWidths(columns: Row, rows: readonly Row[], floor: readonly number[] = []): number[] {
  return columns.map((header, i) => Math.max(floor[i] ?? 0, cellWidth(header), ...rows.map((row) => cellWidth(row[i] ?? ''))));
}

/** One line of a table; the last column is not padded. */
export function formatRow(row: Row, widths: readonly number[]): string {
  return widths.map((width, i) => (i === widths.length - 1 ? (row[i] ?? '') : pad(row[i] ?? '', width))).join('  ').trimEnd();
}

/**
 * A whole table as lines of text, header first.
 *
 * @example
 * formatTable(['KEY', 'VALUE'], [['a', '1'], ['bb', '22']]);
 * // KEY  VALUE
 * // a    1
 * // bb   22
 */
export function formatTable(columns: Row, rows: readonly Row[]): string {
  const widths = columnWidths(columns, rows);
  return [columns, ...rows].map((row) => formatRow(row, widths)).join('\n');
}

/** Rows printed while they stream in, one aligned block at a time; widths never shrink. */
export class TableWriter {
  private readonly pending: Row[] = [];
  private widths: number[] = [];
  private headerDone = false;

  constructor(
    private readonly columns: Row,
    private readonly write: (text: string) => void,
    /** Rows per block: bounds the memory a long scan holds. */
    private readonly blockRows = 1_000,
  ) {}

  add(row: Row): void {
    this.pending.push(row);
    if (this.pending.length >= this.blockRows) this.flush();
  }

  /** Prints what is pending (the header with the first block, even an empty one). */
  flush(): void {
    this.widths = columnWidths(this.columns, this.pending, this.widths);
    const lines = this.pending.splice(0).map((row) => formatRow(row, this.widths));
    if (!this.headerDone) lines.unshift(formatRow(this.columns, this.widths));
    this.headerDone = true;
    if (lines.length > 0) this.write(`${lines.join('\n')}\n`);
  }
}
