/** Plain-text tables for listings: left-aligned columns, two spaces apart, no trailing blanks. */

/** The table as lines joined by newlines; widths count code points. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = (s: string) => Array.from(s).length;
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell + ' '.repeat(widths[i]! - width(cell)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
