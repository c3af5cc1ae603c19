/**
 * One worker's part of one phase: connect its clients at their planned times, then on 'start'
 * drive its publishers from one scheduler loop, let late clients join, take clients offline
 * and drop them as their groups say, until 'stop'; then report.
 */
import type { ClientOptions } from '../drivers/client-options.js';
import type { ConnectFailure, WorkerPhaseReport } from '../metrics/reports.js';
import type { TargetEndpoint } from '../drivers/transports.js';
import { classifyError, errorMessage } from '../drivers/errors.js';
import { ConnectError } from '../drivers/mqtt-driver.js';
import type { ConnectStage } from '../drivers/transports.js';
import { nowMicros } from '../metrics/clock.js';
import { Recorder, encodeOrEmpty } from '../metrics/recorder.js';
import { WireMeter, wireDelta, type WireBytes } from '../metrics/wire.js';
import { levelAt, type PhaseSpec } from '../plan/plan.js';
import type { ClientPlan, WorkerPlan } from '../plan/workers.js';
import type { GroupSpec } from '../config/model.js';
import { fillerFor, openClient, type OpenClient, type OpenContext } from './clients.js';
import { GroupStats } from './group-stats.js';
import { HealthMonitor } from './health.js';
import type { SessionEvents } from './mqtt-session.js';
import type { Publisher, PublisherSettings } from './publisher.js';
import { IDLE_MS, IMMEDIATE, PRECISE, Scheduler } from './scheduler.js';
import { PreciseWake } from './precise-wake.js';
import { deliveryByPublisher } from './subscriber.js';


export class PhaseRunner {
  readonly recorder = new Recorder();
  private readonly health = new HealthMonitor();
  /** Every client socket of this phase in this worker; totals taken at the steady window's start and end. */
  private readonly wire = new WireMeter();
  private wireAtSteadyStart: WireBytes | null = null;
  private wireSteady: WireBytes | null = null;
  private readonly stats: GroupStats[];
  private readonly open: Array<{ plan: ClientPlan; client: OpenClient }> = [];
  private readonly willsDropped: Array<{ willId: number; byGroup: number[] }> = [];
  private readonly delivered: Uint32Array;
  private readonly sentCounts: Uint32Array;
  private readonly drops: BigInt64Array;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Late joins under way, awaited before the final report. */
  private readonly pending: Array<Promise<void>> = [];
  /** Callbacks waiting for the load start. */
  private readonly onStart: Array<() => void> = [];
  /** Open publishers, driven by the scheduler loop. */
  private readonly publishers: Publisher[] = [];
  private pingTimer: NodeJS.Timeout | null = null;
  private connections = 0;
  /** Clients without a connection because the target dropped them (reconnecting, or idle and WebSocket ones, which stay down). */
  private down = 0;
  /** When each dropped idle or WebSocket client lost its connection (shared clock, us): they are not reconnected. */
  private readonly neverBack: number[] = [];
  private closing = false;
  private stopped = false;
  private loadStartUs: number | null = null;
  private loop: NodeJS.Timeout | null = null;
  /** The scheduler's wake thread, started by the first precise wait of an open-model phase. */
  private waker: PreciseWake | null = null;
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
    this.stats = phase.groups.map(() => new GroupStats());
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
    if (!this.closing) this.startPings();
    return { connected: this.connections, failures };
  }

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
      this.recorder.connectFailures++;
      stats.connectFailures++;
      if (late) this.recorder.joinFailures++;
      this.recorder.error(kind);
      failures.push({ clientId: c.clientId, kind, message: errorMessage(err) });
    }
  }

  private context(stats: GroupStats, localAddress: string | undefined): OpenContext {
    return {
      recorder: this.recorder,
      stats,
      delivered: this.delivered,
      sentCounts: this.sentCounts,
      drops: this.drops,
      options: this.options,
      tag: this.phase.tag,
      localAddress,
      onStage: (stage, micros) => this.recordStage(stage, micros),
      meter: this.wire,
      connected: (micros) => {
        this.recorder.connects++;
        this.recorder.connect.recordValue(Math.max(1, micros));
        stats.connects++;
        stats.connect.recordValue(Math.max(1, micros));
        this.connections++;
      },
      dropped: (errored) => {
        if (this.closing) return;
        this.dropped(stats, errored);
        this.neverBack.push(nowMicros());
      },
      sessionEvents: this.sessionEvents(stats),
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
      this.at(offline.atMs, () => {
        // A client the target had already dropped has no connection to take away.
        const { back, wasConnected } = goOffline();
        if (wasConnected) this.connections--;
        this.at(offline.atMs + offline.forMs, back);
      });
    }
    if (g.drop !== null) {
      this.at(g.drop.atMs, () => {
        if (c.willId > 0) {
          Atomics.store(this.drops, c.willId, BigInt(Math.round(nowMicros())));
          this.willsDropped.push({ willId: c.willId, byGroup: c.willMatchingByGroup });
        }
        if (client.drop()) this.connections--;
      });
    }
  }

  /** Runs `fn` at `ms` after the load start (at once when that is past); before the start, once it comes. */
  private at(ms: number, fn: () => void): void {
    const origin = this.loadStartUs;
    if (origin === null) {
      this.onStart.push(() => this.at(ms, fn));
      return;
    }
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        if (!this.closing) fn();
      },
      Math.max(0, (origin + ms * 1000 - nowMicros()) / 1000),
    );
    this.timers.add(timer);
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

  /**
   * An established connection the target closed: counted once, whatever follows (reconnect
   * attempts are counted apart). A drop is also a 'closed' error unless the connection already
   * reported its cause (reset, timeout, ...).
   */
  private dropped(stats: GroupStats, errored = false): void {
    if (this.closing) return;
    this.connections--;
    this.down++;
    this.recorder.disconnects++;
    stats.disconnects++;
    if (!errored) this.recorder.error('closed');
  }

  /** MQTT clients: drops, reconnect attempts and their failures, reconnects and the outage each ended, counted once per event. */
  private sessionEvents(stats: GroupStats): SessionEvents {
    const r = this.recorder;
    return {
      dropped: (errored) => this.dropped(stats, errored),
      attempt: () => {
        if (!this.closing) r.reconnectAttempts++;
      },
      failed: (kind) => {
        if (this.closing) return;
        r.connectFailures++;
        stats.connectFailures++;
        r.error(kind);
      },
      reconnected: (_micros, downSinceUs, planned) => {
        if (this.closing) return;
        this.connections++;
        if (planned) return;
        this.down--;
        r.reconnects++;
        stats.reconnects++;
        r.outage(downSinceUs, nowMicros());
      },
      gaveUp: (downSinceUs) => {
        if (this.closing) return;
        this.down--;
        r.outage(downSinceUs, nowMicros());
      },
      error: (kind) => r.error(kind),
    };
  }

  /**
   * One timer pings every idle client each keepalive/2, spread over that interval in slices so
   * 19,000 pings never leave in one burst. A client with unanswered pings is counted once.
   */
  private startPings(): void {
    const idleGroups = this.phase.groups.filter((g) => g.role === 'connect-only' && g.keepaliveSeconds > 0);
    if (idleGroups.length === 0 || this.pingTimer !== null) return;
    const periodMs = (Math.min(...idleGroups.map((g) => g.keepaliveSeconds)) * 1000) / 2;
    const slices = 10;
    let slice = 0;
    const tick = (): void => {
      for (let i = slice; i < this.open.length; i += slices) {
        const ping = this.open[i]?.client.ping;
        if (ping != null && ping() === 3) this.recorder.error('timeout');
      }
      slice = (slice + 1) % slices;
      this.pingTimer = setTimeout(tick, periodMs / slices);
    };
    this.pingTimer = setTimeout(tick, periodMs / slices);
  }

  start(startUs: number, steadyStartUs: number): void {
    this.loadStartUs = startUs;
    this.recorder.steadyStartUs = steadyStartUs;
    this.at((steadyStartUs - startUs) / 1000, () => {
      this.health.begin();
      this.wireAtSteadyStart = this.wire.total();
    });
    for (const p of this.publishers) p.start(startUs, startUs);
    for (const fn of this.onStart.splice(0)) fn();
    const failures: ConnectFailure[] = [];
    for (const c of this.plan.clients.filter((x) => x.joinAtMs > 0)) {
      this.at(c.joinAtMs, () => {
        this.pending.push(this.openOne(c, true, failures).then(() => (this.closing ? undefined : this.startPings())));
      });
    }
    // Wakes for the earliest due message, not on a fixed tick (scheduler.ts): due messages are
    // waited for by the wake thread (precise-wake.ts), with a timer behind it in case that thread
    // fails, polls by timers. The timer lives in this.loop, which stop() clears with the waker; a
    // setImmediate turn pending then sees `stopped` and ends.
    const scheduler = new Scheduler(this.publishers, nowMicros, true);
    const waker = new PreciseWake(() => run());
    this.waker = waker;
    const run = (): void => {
      if (this.loop !== null) clearTimeout(this.loop);
      this.loop = null;
      if (this.stopped) return;
      const wake = scheduler.step();
      if (wake === PRECISE) {
        waker.at(scheduler.preciseAtUs);
        this.loop = setTimeout(run, IDLE_MS);
        return;
      }
      waker.cancel();
      if (wake === IMMEDIATE) setImmediate(run);
      else this.loop = setTimeout(run, wake);
    };
    // A worker with no publishing client (now or joining later) has no schedule to keep.
    if (this.plan.clients.some((c) => c.publisherId > 0)) run();
  }

  stop(): void {
    this.stopped = true;
    this.recorder.steadyEndUs = Math.min(this.recorder.steadyEndUs, nowMicros());
    // The first stop ends the steady window (finish stops again).
    if (this.wireAtSteadyStart !== null && this.wireSteady === null) this.wireSteady = wireDelta(this.wireAtSteadyStart, this.wire.total());
    this.health.end();
    if (this.loop !== null) clearTimeout(this.loop);
    this.loop = null;
    void this.waker?.close();
    for (const p of this.publishers) p.stop();
  }

  interval(t: number) {
    return this.recorder.takeInterval(this.plan.workerIndex, t, this.connections, this.down);
  }

  status(): { outstandingAcks: number; expected: number; unique: number } {
    let outstandingAcks = 0;
    let expected = 0;
    let unique = 0;
    for (const { client } of this.open) {
      const p = client.publisher;
      if (p !== null) {
        outstandingAcks += p.outstanding;
        expected += p.seq * p.plan.matching;
      }
      const s = client.subscriber;
      if (s !== null) {
        for (const t of s.trackers.values()) unique += t.unique;
        // A late joiner's skipped messages are expected by the publisher's count but never come.
        for (const b of s.baselines.values()) unique += b;
      }
    }
    return { outstandingAcks, expected, unique };
  }

  /** Closes every client and returns the phase report. */
  async finish(lateWindowMs = 0): Promise<WorkerPhaseReport> {
    this.stop();
    // Drain incomplete: whatever still arrives now came after the drain (counted apart, still delivered).
    this.recorder.drainEndUs = nowMicros();
    if (lateWindowMs > 0) await sleep(lateWindowMs);
    const endUs = nowMicros();
    for (const t of this.neverBack) this.recorder.outage(t, endUs);
    for (const { client } of this.open) {
      const since = client.session?.downSince ?? null;
      if (since !== null) this.recorder.outage(since, endUs);
    }
    const downAtEnd = this.down;
    this.closing = true;
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled(this.pending);
    const r = this.recorder;
    const publishers = this.publishers;
    const report: WorkerPhaseReport = {
      workerIndex: this.plan.workerIndex,
      steady: { ...r.steady },
      total: { ...r.total },
      connects: r.connects,
      connectFailures: r.connectFailures,
      joinFailures: r.joinFailures,
      reconnectAttempts: r.reconnectAttempts,
      reconnects: r.reconnects,
      disconnects: r.disconnects,
      outage: { clients: this.open.length, steadyDownUs: r.steadyDownUs, downAtEnd, unsent: publishers.reduce((a, p) => a + p.unsent, 0), steadyUnsent: r.steadyUnsent },
      afterDrain: r.afterDrain,
      errors: { ...r.errors },
      histograms: {
        e2e: encodeOrEmpty(r.e2e),
        e2eUncorrected: encodeOrEmpty(r.e2eUncorrected),
        ack: encodeOrEmpty(r.ack),
        connect: encodeOrEmpty(r.connect),
        subscribe: encodeOrEmpty(r.subscribe),
        connectTcp: encodeOrEmpty(r.connectTcp),
        connectTls: encodeOrEmpty(r.connectTls),
        connectWs: encodeOrEmpty(r.connectWs),
        outage: encodeOrEmpty(r.outageHistogram),
      },
      sent: publishers.map((p) => ({ publisher: p.plan.publisherId, group: p.plan.group, sent: p.seq, matching: p.plan.matching, matchingByGroup: p.plan.matchingByGroup, unacked: p.unacknowledged() })),
      delivery: deliveryByPublisher(this.open.flatMap(({ client }) => (client.subscriber === null ? [] : [client.subscriber]))),
      groups: this.stats.map((s, gi) => {
        const mine = this.open.filter((o) => o.plan.group === gi);
        const pubs = mine.flatMap((o) => (o.client.publisher === null ? [] : [o.client.publisher]));
        const subs = mine.flatMap((o) => (o.client.subscriber === null ? [] : [o.client.subscriber]));
        return s.report(
          pubs.reduce((a, p) => a + p.seq, 0),
          pubs.reduce((a, p) => a + p.acked, 0),
          subs.map((x) => x.unique),
        );
      }),
      willsDropped: [...this.willsDropped],
      ...(this.wireSteady !== null ? { wire: this.wireSteady } : {}),
      health: {
        workerIndex: this.plan.workerIndex,
        ...this.health.snapshot(),
        connections: this.connections,
        sendLagP99: r.sendLag.totalCount === 0 ? 0 : r.sendLag.getValueAtPercentile(99),
        sendLagP50: r.sendLag.totalCount === 0 ? 0 : r.sendLag.getValueAtPercentile(50),
        windowStalls: publishers.reduce((a, p) => a + p.stalls, 0),
      },
    };
    // Receivers go first, so clearing retained values below sends nothing to closing sockets.
    const receiving = this.open.filter(({ client }) => client.publisher === null && client.subscriber !== null);
    await Promise.all(receiving.map(({ client }) => client.end()));
    await Promise.all(this.open.map(({ client }) => client.clearRetained?.()));
    await Promise.all(this.open.filter((o) => !receiving.includes(o)).map(({ client }) => client.end()));
    return report;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
