/**
 * A worker's figures for one client group of a phase: connections, the publishing and the
 * receiving side, retained deliveries, wills, and the backlog of clients that went offline.
 */
import type { GroupReport } from '../metrics/reports.js';
import { BatchedHistogram, newHistogram, record } from '../metrics/histogram.js';
import { encodeOrEmpty } from '../metrics/recorder.js';

export class GroupStats {
  connects = 0;
  connectFailures = 0;
  disconnects = 0;
  reconnects = 0;
  retained = 0;
  willsReceived = 0;
  sessionsResumed = 0;
  backlog = 0;
  backlogDrainUs = 0;
  readonly e2e = new BatchedHistogram();
  readonly connect = newHistogram();
  readonly will = newHistogram();

  recordE2e(us: number): void {
    this.e2e.record(us);
  }

  recordWill(us: number): void {
    record(this.will, us);
  }

  /** `uniquePerClient`: first deliveries of each receiving client of the group in this worker. */
  report(sent: number, acked: number, uniquePerClient: readonly number[]): GroupReport {
    return {
      connects: this.connects,
      connectFailures: this.connectFailures,
      disconnects: this.disconnects,
      reconnects: this.reconnects,
      sent,
      acked,
      receivingClients: uniquePerClient.length,
      minPerClient: uniquePerClient.length === 0 ? 0 : Math.min(...uniquePerClient),
      maxPerClient: uniquePerClient.length === 0 ? 0 : Math.max(...uniquePerClient),
      retained: this.retained,
      willsReceived: this.willsReceived,
      sessionsResumed: this.sessionsResumed,
      backlog: this.backlog,
      backlogDrainUs: this.backlogDrainUs,
      e2e: encodeOrEmpty(this.e2e.histogram),
      connect: encodeOrEmpty(this.connect),
      will: encodeOrEmpty(this.will),
    };
  }
}
