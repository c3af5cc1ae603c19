/** The live progress line: stderr, TTY only, rewritten in place once a second. */
import type { Progress } from '../metrics/reports.js';
import { formatMicros, formatRate } from '../metrics/format.js';

/** '45s', '3m05s', '1h02m': whole seconds, rounded up (a countdown never shows 0s while time is left). */
export function formatSecondsLeft(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds - 1e-9));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * 'phase 2/3 mqtt-ws-qos1 steady 3/5s · 12s left · sent 500/s recv 500/s p99 1.20ms · lost 0 errors 0'.
 * Lost: deliveries skipped so far (a later message of the same publisher came first); the
 * phase's count is settled at its end. Time left: the run's plan (a drain that ends early makes it shorter).
 */
export function renderProgress(p: Progress): string {
  const place = p.index !== undefined && p.count !== undefined ? `phase ${p.index}/${p.count} ` : '';
  const at = `${Math.min(p.elapsed, p.length).toFixed(0)}/${p.length}s`;
  const left = p.leftSeconds === undefined ? '' : ` · ${formatSecondsLeft(p.leftSeconds)} left`;
  const figures = `sent ${formatRate(p.sentPerSecond)} recv ${formatRate(p.receivedPerSecond)} p99 ${p.p99 === 0 ? '-' : formatMicros(p.p99)}`;
  return `${place}${p.phase} ${p.stage} ${at}${left} · ${figures} · lost ${p.lost} errors ${p.errors}`;
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
