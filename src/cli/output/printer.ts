/**
 * Where command results go: `--output table` (aligned, for people) or `--output json` (one JSON
 * document, for scripts). Commands describe a result once, as a table and as a JSON value, and
 * the printer writes the one the user asked for.
 */
import { formatTable, TableWriter, type Row } from './table.js';

export type OutputFormat = 'table' | 'json';

/** One result in both shapes. `note` is a line printed above the table (table output only). */
export interface View {
  readonly columns: Row;
  readonly rows: readonly Row[];
  readonly json: unknown;
  readonly note?: string;
}

/** Streams rows: a TableWriter, or a JSON array written element by element. */
export interface RowSink<T> {
  add(row: Row, json: T): void;
  end(): void;
}

export class Printer {
  constructor(
    readonly format: OutputFormat,
    private readonly write: (text: string) => void,
  ) {}

  show(view: View): void {
    if (this.format === 'json') {
      this.write(`${JSON.stringify(view.json, null, 2)}\n`);
      return;
    }
    if (view.note !== undefined) this.write(`${view.note}\n`);
    if (view.columns.length > 0) this.write(`${formatTable(view.columns, view.rows)}\n`);
  }

  /** A plain line, table output only (JSON output stays one document). */
  line(text: string): void {
    if (this.format === 'table') this.write(`${text}\n`);
  }

  /** Rows that arrive over time (scan); JSON output is an array printed as it grows. */
  stream<T>(columns: Row): RowSink<T> {
    if (this.format === 'table') {
      const table = new TableWriter(columns, this.write);
      return { add: (row) => table.add(row), end: () => table.flush() };
    }
    let count = 0;
    return {
      add: (_row, json) => {
        this.write(`${count === 0 ? '[\n' : ',\n'}  ${JSON.stringify(json)}`);
        count++;
      },
      end: () => this.write(count === 0 ? '[]\n' : '\n]\n'),
    };
  }
}
