/** Small HTML builders for the report: escaping, tables, badges. Every text from the result goes through esc(). */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

export interface Column {
  label: string;
  /** Right-aligned, tabular figures. */
  num?: boolean;
  /** Shown on hover over the header: what the column means. */
  title?: string;
  /** Long text that may wrap onto a second line. */
  wrap?: boolean;
}

export interface Row {
  /** Cell contents, already HTML (escape text with esc()). */
  cells: string[];
  className?: string;
}

/** A table with a caption (its accessible name), a header row and body rows. */
export function table(caption: string, columns: Column[], rows: Row[], className = ''): string {
  const head = columns
    .map((c) => `<th scope="col"${c.num ? ' class="num"' : ''}${c.title ? ` title="${esc(c.title)}"` : ''}>${esc(c.label)}</th>`)
    .join('');
  const body = rows
    .map((r) => {
      const cells = r.cells
        .map((cell, i) => {
          if (i === 0) return `<th scope="row">${cell}</th>`;
          const cls = [columns[i]?.num ? 'num' : '', columns[i]?.wrap ? 'wrap' : ''].filter((c) => c !== '').join(' ');
          return `<td${cls ? ` class="${cls}"` : ''}>${cell}</td>`;
        })
        .join('');
      return `<tr${r.className ? ` class="${r.className}"` : ''}>${cells}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table${className ? ` class="${className}"` : ''}><caption>${esc(caption)}</caption><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** A pass/fail mark that does not rely on colour alone: a symbol and a word. */
export function passMark(passed: boolean): string {
  return passed ? '<span class="mark ok">✓ passed</span>' : '<span class="mark bad">✗ failed</span>';
}

export function section(id: string, title: string, body: string, intro = ''): string {
  return `<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${esc(title)}</h2>${intro ? `<p class="intro">${intro}</p>` : ''}\n${body}\n</section>`;
}
