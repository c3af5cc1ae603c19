/** The benches' figures as table cells: one formatter per kind of figure, '-' for none. */

export const us = (v: number | null): string => (v === null ? '-' : v.toFixed(1));
/** Microseconds as 745us or 1.25ms. */
export const ms = (v: number | null): string => (v === null ? '-' : Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)}ms` : `${Math.round(v)}us`);
export const x2 = (v: number | null): string => (v === null ? '-' : v.toFixed(2));
/** Three decimals where a verdict is drawn, so 0.50 is not shown beside 'NOT met' for 0.501. */
export const x3 = (v: number | null): string => (v === null ? '-' : v.toFixed(3));
export const int = (v: number | null): string => (v === null ? '-' : Math.round(v).toLocaleString('en-US'));
export const signed = (v: number | null): string => (v === null ? '-' : `${v >= 0 ? '+' : ''}${v.toFixed(1)}`);

/** Header and rows as aligned lines: the first `leftColumns` columns left-aligned, the rest right-aligned. */
export function table(header: string[], lines: string[][], leftColumns: number): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(header), ...lines.map(fmt)];
}
