/** Writes results as aligned text tables for people, or as JSON for scripts. */

export type Cell = string | number | undefined;

/** Formats rows as a table with a header line; empty cells print as `-`. */
export function formatTable(headers: string[], rows: Cell[][]): string {
  const text = rows.map((row) => headers.map((_, index) => cellText(row[index])));
  const widths = headers.map((header, index) => Math.max(header.length, ...text.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join('  ');
  return [line(headers), ...text.map(line)].join('\n');
}

function cellText(value: Cell): string {
  if (value === undefined || value === '') return '-';
  return String(value);
}

/** Prints `value` as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** Returns the date part of an ISO 8601 time, or undefined. */
export function day(iso: string | undefined): string | undefined {
  return iso?.slice(0, 10);
}
