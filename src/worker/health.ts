/**
 * Generator health of one worker thread: event-loop delay (perf_hooks histogram, ns) and
 * event-loop utilisation, the share of wall time this thread was busy (its CPU use as
 * far as one thread can see it; process.cpuUsage() would count every thread). Over the steady
 * window for the report, and second by second from the load start for the live figures.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { IntervalLoop } from '../metrics/reports.js';

/** Sampling period of the delay monitor, ms. Its samples include this period, so it is subtracted. */
const RESOLUTION_MS = 10;
const RESOLUTION_US = RESOLUTION_MS * 1000;

export class HealthMonitor {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private eluStart: EventLoopUtilization | null = null;
  private elu: EventLoopUtilization | null = null;
  /** The current one-second interval (second()): its delay samples, and the utilisation at its start (null before beginSeconds). */
  private readonly secondDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private secondElu: EventLoopUtilization | null = null;

  /** Begins the steady window: earlier delay samples are dropped. */
  begin(): void {
    this.delay.enable();
    this.delay.reset();
    this.eluStart = performance.eventLoopUtilization();
  }

  /** Ends the steady window. */
  end(): void {
    if (this.eluStart !== null && this.elu === null) this.elu = performance.eventLoopUtilization(this.eluStart);
    this.delay.disable();
  }

  /** Starts the per-second figures (at the load start). */
  beginSeconds(): void {
    this.secondDelay.enable();
    this.secondDelay.reset();
    this.secondElu = performance.eventLoopUtilization();
  }

  /** The event loop since the last call (or beginSeconds), and a new interval begins; zeros before beginSeconds. */
  second(): IntervalLoop {
    if (this.secondElu === null) return { busyPercent: 0, delayP99Us: 0 };
    const now = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(now, this.secondElu);
    this.secondElu = now;
    const d = this.secondDelay;
    const delayP99Us = d.count === 0 ? 0 : Math.max(0, Math.round(d.percentile(99) / 1000) - RESOLUTION_US);
    d.reset();
    return { busyPercent: Math.round(elu.utilization * 1000) / 10, delayP99Us };
  }

  /** Ends the per-second figures (the phase is over): the delay monitor's timer stops. */
  close(): void {
    this.secondDelay.disable();
    this.secondElu = null;
  }

  snapshot(): { eventLoopDelayP99: number; eventLoopDelayMax: number; cpuPercent: number; heapUsedBytes: number; rssBytes: number } {
    const count = this.delay.count;
    const elu = this.elu ?? (this.eluStart === null ? null : performance.eventLoopUtilization(this.eluStart));
    return {
      eventLoopDelayP99: count === 0 ? 0 : Math.max(0, Math.round(this.delay.percentile(99) / 1000) - RESOLUTION_US),
      eventLoopDelayMax: count === 0 ? 0 : Math.max(0, Math.round(this.delay.max / 1000) - RESOLUTION_US),
      cpuPercent: elu === null ? 0 : Math.round(elu.utilization * 1000) / 10,
      heapUsedBytes: getHeapStatistics().used_heap_size,
      rssBytes: process.memoryUsage.rss(),
    };
  }
}
