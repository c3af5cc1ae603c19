/**
 * One worker's part of one phase: connect its clients at their planned times, then on 'start'
 * drive its publishers from one send loop (send-loop.ts), let late clients join, take clients
 * offline and drop them as their groups say (load-timers.ts), until 'stop'; then report
 * (phase-report.ts). Every connect, drop and reconnect is counted by the ledger (connection-ledger.ts).
 */
import type { ClientOptions } from '../drivers/client-options.js';
import type { ConnectFailure, WorkerPhaseReport } from '../metrics/reports.js';
import type { TargetEndpoint } from '../drivers/transports.js';
import { classifyError, ConnectError, errorMessage } from '../drivers/errors.js';
import type { ConnectStage } from '../drivers/transports.js';
import { nowMicros } from '../metrics/clock.js';
import { Recorder } from '../metrics/recorder.js';
import { WireMeter, wireDelta, type WireBytes } from '../metrics/wire.js';
import { levelAt, type PhaseSpec } from '../plan/plan.js';
import type { ClientPlan, WorkerPlan } from '../plan/workers.js';
import type { GroupSpec } from '../config/model.js';
import { fillerFor, openClient, type OpenClient, type OpenContext } from './clients.js';
import { drainStatus, remoteIds, type DrainStatus } from './drain-status.js';
import { ConnectionLedger } from './connection-ledger.js';
import { GroupStats } from './group-stats.js';
import { HealthMonitor } from './health.js';
import { IdlePings } from './idle-pings.js';
import { LoadTimers } from './load-timers.js';
import { buildReport } from './phase-report.js';
import type { Publisher } from './publisher.js';
import type { PublisherSettings } from './publisher-settings.js';
import { SendLoop } from './send-loop.js';
import { missingDeliveries } from './subscriber.js';

export class PhaseRunner {
  readonly recorder = new Recorder();
  private readonly health = new HealthMonitor();
  /** Connects, drops, reconnects and the connection gauges. */
  private readonly ledger = new ConnectionLedger(this.recorder);
  /** Every client socket of this phase in this worker; totals taken at the steady window's start and end. */
  private readonly wire = new WireMeter();
  private wireAtSteadyStart: WireBytes | null = null;
  private wireSteady: WireBytes | null = null;
  private readonly stats: GroupStats[];
  private readonly open: Array<{ plan: ClientPlan; client: OpenClient }> = [];
  private readonly willsDropped: Array<{ willId: number; byGroup: number[] }> = [];
  /** Why clients joining during the load could not connect (or their join failed otherwise). */
  private readonly joinErrors: ConnectFailure[] = [];
  private readonly delivered: Uint32Array;
  private readonly sentCounts: Uint32Array;
  private readonly drops: BigInt64Array;
  /** --shard: 1 for the publisher ids of other shards (their deliveries are not awaited by this process's drain); null unsharded. */
  private readonly remote: Uint8Array | null;
  /** The same ids when their latency is not measured (no --clock-sync); null: every delivery is timed. */
  private readonly untimed: Uint8Array | null;
  /** Offline and drop times, late joins and the steady window's start, from the load start. */
  private readonly timers = new LoadTimers();
  /** Late joins under way, awaited before the final report. */
  private readonly pending: Array<Promise<void>> = [];
  /** Open publishers, driven by the send loop. */
  private readonly publishers: Publisher[] = [];
  private readonly pings: IdlePings;
  private stopped = false;
  private loadStartUs: number | null = null;
  private loop: SendLoop | null = null;
  private sourceIndex = 0;

  constructor(
    private readonly phase: PhaseSpec,
    private readonly plan: WorkerPlan,
    private readonly endpoints: readonly TargetEndpoint[],
    private readonly options: ClientOptions,
    window: SharedArrayBuffer,
    drops: SharedArrayBuffer,
  ) {
    // Two halves: deliveries per publisher id, then messages sent per publisher id.
    const slots = window.byteLength / 8;
    this.delivered = new Uint32Array(window, 0, slots);
    this.sentCounts = new Uint32Array(window, slots * 4, slots);
    this.drops = new BigInt64Array(drops);
    this.remote = remoteIds(plan, slots);
    this.untimed = plan.shard?.clockSync === true ? null : this.remote;
    this.stats = phase.groups.map(() => new GroupStats());
    this.pings = new IdlePings(phase.groups, this.open, this.recorder);
  }

  private get closing(): boolean {
    return this.ledger.closing;
  }

  /** Connects the clients that start with the phase, each at its planned time; late joiners wait for the start. */
  async connect(): Promise<{ connected: number; failures: ConnectFailure[] }> {
    const failures: ConnectFailure[] = [];
    const begin = Date.now();
    const jobs: Promise<void>[] = [];
    for (const c of this.plan.clients.filter((x) => x.joinAtMs === 0)) {
      const wait = begin + c.connectAtMs - Date.now();
      if (wait > 1) await sleep(wait);
      if (this.closing) break;
      jobs.push(this.openOne(c, false, failures));
    }
    await Promise.all(jobs);
    // Interrupted while connecting: finish() may already have run; no timer may outlive it.
    if (!this.closing) this.pings.start();
    return { connected: this.ledger.connections, failures };
  }

  /** Opens one client; a failure is counted and its message kept in `failures`. */
  private async openOne(c: ClientPlan, late: boolean, failures: ConnectFailure[]): Promise<void> {
    const g = this.group(c);
    const stats = this.stats[c.group];
    const endpoint = this.endpoints[c.group];
    if (stats === undefined || endpoint === undefined) throw new Error(`no group ${c.group} in this phase`);
    const sources = this.plan.localAddresses;
    try {
      const client = await openClient(g, c, endpoint, this.context(stats, sources.length === 0 ? undefined : sources[this.sourceIndex++ % sources.length]));
      if (this.closing) {
        await client.end();
        return;
      }
      this.open.push({ plan: c, client });
      if (client.publisher !== null) this.publishers.push(client.publisher);
      if (late && this.loadStartUs !== null && !this.stopped) client.publisher?.start(nowMicros(), this.loadStartUs);
      this.scheduleFate(g, c, client);
    } catch (err) {
      const kind = err instanceof ConnectError ? err.kind : classifyError(err);
      this.ledger.connectFailed(stats, kind, late);
      failures.push({ clientId: c.clientId, kind, message: errorMessage(err) });
    }
  }

  private context(stats: GroupStats, localAddress: string | undefined): OpenContext {
    const ledger = this.ledger;
    return {
      recorder: this.recorder,
      stats,
      delivered: this.delivered,
      sentCounts: this.sentCounts,
      drops: this.drops,
      untimed: this.untimed,
      options: this.options,
      tag: this.phase.tag,
      localAddress,
      onStage: (stage, micros) => this.recordStage(stage, micros),
      meter: this.wire,
      connected: (micros) => ledger.connected(stats, micros),
      dropped: (errored) => ledger.droppedForGood(stats, errored),
      sessionEvents: ledger.sessionEvents(stats),
      publisherSettings: (g, c) => this.publisherSettings(g, c),
    };
  }

  private publisherSettings(g: GroupSpec, c: ClientPlan): PublisherSettings {
    const rateStages = this.phase.stages.some((s) => s.kind === 'rate');
    return {
      filler: fillerFor(g, c),
      inflight: g.inflight,
      delivered: this.delivered,
      sentCounts: this.sentCounts,
      maxMessages: g.messages,
      ramp: rateStages && g.rate !== null ? { level: (ms) => levelAt(this.phase.stages, ms), endMs: this.phase.rampMs } : null,
    };
  }

  /** Offline and drop times of the client's group, from the load start. */
  private scheduleFate(g: GroupSpec, c: ClientPlan, client: OpenClient): void {
    const offline = g.offline;
    if (offline !== null && client.offline !== null) {
      const goOffline = client.offline;
      this.timers.at(offline.atMs, () => {
        // A client the target had already dropped has no connection to take away.
        const { back, wasConnected } = goOffline();
        if (wasConnected) this.ledger.takenAway();
        this.timers.at(offline.atMs + offline.forMs, back);
      });
    }
    if (g.drop !== null) {
      this.timers.at(g.drop.atMs, () => {
        if (c.willId > 0) {
          Atomics.store(this.drops, c.willId, BigInt(Math.round(nowMicros())));
          this.willsDropped.push({ willId: c.willId, byGroup: c.willMatchingByGroup });
        }
        if (client.drop()) this.ledger.takenAway();
      });
    }
  }

  private group(c: ClientPlan): GroupSpec {
    const g = this.phase.groups[c.group];
    if (g === undefined) throw new Error(`no group ${c.group} in this phase`);
    return g;
  }

  private recordStage(stage: ConnectStage, micros: number): void {
    const h = stage === 'tcp' ? this.recorder.connectTcp : stage === 'tls' ? this.recorder.connectTls : this.recorder.connectWs;
    h.recordValue(Math.max(1, micros));
  }

  start(startUs: number, steadyStartUs: number): void {
    this.loadStartUs = startUs;
    this.timers.start(startUs);
    this.health.beginSeconds();
    this.recorder.steadyStartUs = steadyStartUs;
    this.timers.at((steadyStartUs - startUs) / 1000, () => {
      this.health.begin();
      this.wireAtSteadyStart = this.wire.total();
    });
    for (const p of this.publishers) p.start(startUs, startUs);
    this.timers.release();
    for (const c of this.plan.clients.filter((x) => x.joinAtMs > 0)) {
      this.timers.at(c.joinAtMs, () => {
        const join = this.openOne(c, true, this.joinErrors).then(
          () => (this.closing ? undefined : this.pings.start()),
          (err: unknown) => this.joinFailed(c, err),
        );
        this.pending.push(join);
      });
    }
    // A worker with no publishing client (now or joining later) has no schedule to keep.
    const loop = new SendLoop(this.publishers);
    this.loop = loop;
    if (this.plan.clients.some((c) => c.publisherId > 0)) loop.run();
  }

  stop(): void {
    this.stopped = true;
    this.recorder.steadyEndUs = Math.min(this.recorder.steadyEndUs, nowMicros());
    // The first stop ends the steady window (finish stops again).
    if (this.wireAtSteadyStart !== null && this.wireSteady === null) this.wireSteady = wireDelta(this.wireAtSteadyStart, this.wire.total());
    this.health.end();
    this.loop?.stop();
    for (const p of this.publishers) p.stop();
  }

  interval(t: number) {
    const inflight = this.publishers.reduce((a, p) => a + p.outstanding, 0);
    const missing = missingDeliveries(this.open.map(({ client }) => client.subscriber));
    return this.recorder.takeInterval(this.plan.workerIndex, t, { connections: this.ledger.connections, down: this.ledger.down, inflight, loop: this.health.second(), missing });
  }

  /** The drain's progress (drain-status.ts). */
  status(): DrainStatus {
    return drainStatus(this.open, this.remote);
  }

  /** Closes every client and returns the phase report. */
  async finish(lateWindowMs = 0): Promise<WorkerPhaseReport> {
    this.stop();
    this.health.close();
    // Drain incomplete: whatever still arrives now came after the drain (counted apart, still delivered).
    this.recorder.drainEndUs = nowMicros();
    if (lateWindowMs > 0) await sleep(lateWindowMs);
    this.ledger.endOutages(nowMicros(), this.open.map(({ client }) => client.session?.downSince ?? null));
    const downAtEnd = this.ledger.down;
    this.ledger.close();
    this.pings.stop();
    this.timers.clear();
    // Each join settles as a value (joinFailed): nothing here can reject.
    await Promise.all(this.pending);
    const report = buildReport({
      workerIndex: this.plan.workerIndex,
      recorder: this.recorder,
      open: this.open,
      publishers: this.publishers,
      stats: this.stats,
      willsDropped: this.willsDropped,
      joinErrors: this.joinErrors,
      wireSteady: this.wireSteady,
      health: this.health,
      connections: this.ledger.connections,
      downAtEnd,
    });
    // Receivers go first, so clearing retained values below sends nothing to closing sockets.
    const receiving = this.open.filter(({ client }) => client.publisher === null && client.subscriber !== null);
    await Promise.all(receiving.map(({ client }) => client.end()));
    await Promise.all(this.open.map(({ client }) => client.clearRetained?.()));
    await Promise.all(this.open.filter((o) => !receiving.includes(o)).map(({ client }) => client.end()));
    return report;
  }

  /**
   * A late join that threw rather than failing to connect (openOne counts and keeps those itself):
   * a plan naming no group, a client that could not be closed. The client did not join as planned:
   * a join failure of its kind, its message kept with the others'.
   */
  private joinFailed(c: ClientPlan, err: unknown): void {
    const kind = err instanceof ConnectError ? err.kind : classifyError(err);
    this.recorder.joinFailures++;
    this.recorder.error(kind);
    this.joinErrors.push({ clientId: c.clientId, kind, message: errorMessage(err) });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
