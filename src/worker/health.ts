/**
 * Generator health of one worker thread: event-loop delay (perf_hooks histogram, ns) and
 * event-loop utilisation, the share of wall time this thread was busy (its CPU use as
 * far as one thread can see it; process.cpuUsage() would count every thread).
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** Sampling period of the delay monitor, ms. Its samples include this period, so it is subtracted. */
const RESOLUTION_MS = 10;
const RESOLUTION_US = RESOLUTION_MS * 1000;

export class HealthMonitor {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private eluStart: EventLoopUtilization | null = null;
  private elu: EventLoopUtilization | null = null;

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
