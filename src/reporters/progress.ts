/** The live progress line: stderr, TTY only, rewritten in place once a second. */
import type { Progress } from '../metrics/reports.js';
import { formatMicros, formatRate } from '../metrics/format.js';

export function renderProgress(p: Progress): string {
  const at = `${Math.min(p.elapsed, p.length).toFixed(0)}/${p.length}s`;
  return `${p.phase} ${p.stage} ${at}  sent ${formatRate(p.sentPerSecond)}  recv ${formatRate(p.receivedPerSecond)}  p99 ${p.p99 === 0 ? '-' : formatMicros(p.p99)}`;
}

export class ProgressLine {
  private shown = false;
  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(p: Progress): void {
    this.stream.write(`\r\x1b[2K${renderProgress(p)}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}
