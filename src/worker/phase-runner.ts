/**
 * One worker's part of one phase: connect its clients at the paced rate, subscribe, then
 * on 'start' drive its publishers from one scheduler loop until 'stop', and report.
 */
import type { MqttClient } from 'mqtt';
import type { ClientOptions, ConnectFailure, TargetEndpoint, WorkerPhaseReport } from '../coordinator/protocol.js';
import { classifyError, errorMessage } from '../drivers/errors.js';
import { IdleClient } from '../drivers/mqtt-idle.js';
import { ConnectError, connectMqtt, endMqtt, mqttSink, subscribeMqtt } from '../drivers/mqtt-driver.js';
import type { ConnectStage } from '../drivers/transports.js';
import { connectWs, endWs, wsSink } from '../drivers/ws-driver.js';
import type WebSocket from 'ws';
import { nowMicros } from '../metrics/clock.js';
import { makeFiller } from '../metrics/payload.js';
import { Recorder, encodeOrEmpty } from '../metrics/recorder.js';
import type { PhaseSpec, PublisherPlan, SubscriberPlan, WorkerPlan } from '../plan/plan.js';
import { HealthMonitor } from './health.js';
import { Publisher } from './publisher.js';
import { Subscriber, deliveryByPublisher } from './subscriber.js';

/** Scheduler period in milliseconds: the open model's send-time resolution. */
const TICK_MS = 1;
/** Delay before the tool reconnects a client the target dropped, milliseconds. */
const RECONNECT_DELAY_MS = 1000;

export class PhaseRunner {
  readonly recorder = new Recorder();
  private readonly health = new HealthMonitor();
  private readonly publishers: Publisher[] = [];
  private readonly subscribers: Subscriber[] = [];
  private readonly clients: MqttClient[] = [];
  private readonly idle: IdleClient[] = [];
  private readonly sockets: WebSocket[] = [];
  private pingTimer: NodeJS.Timeout | null = null;
  private readonly delivered: Uint32Array;
  private connections = 0;
  private closing = false;
  private loop: NodeJS.Timeout | null = null;
  private steadyTimer: NodeJS.Timeout | null = null;
  private readonly reconnectTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly phase: PhaseSpec,
    private readonly plan: WorkerPlan,
    private readonly target: TargetEndpoint,
    private readonly options: ClientOptions,
    window: SharedArrayBuffer,
  ) {
    this.delivered = new Uint32Array(window);
  }

  /** Connects every client (subscribers first, then publishers) at this worker's connect rate. */
  async connect(): Promise<{ connected: number; failures: ConnectFailure[] }> {
    const failures: ConnectFailure[] = [];
    const qos = this.phase.params.qos;
    const filler = makeFiller(this.phase.params.payloadBytes);
    const gapMs = this.plan.connectRate > 0 ? 1000 / this.plan.connectRate : 0;
    const jobs: Promise<void>[] = [];
    const all = [
      ...this.plan.subscribers.map((s) => ({ kind: 'sub' as const, s })),
      ...this.plan.publishers.map((p) => ({ kind: 'pub' as const, p })),
      ...this.plan.idle.map((c) => ({ kind: 'idle' as const, c })),
    ];
    const sources = this.plan.localAddresses;
    const onStage = (stage: ConnectStage, micros: number): void => this.recordStage(stage, micros);
    const begin = Date.now();
    for (let i = 0; i < all.length; i++) {
      const item = all[i];
      if (item === undefined) continue;
      const wait = begin + i * gapMs - Date.now();
      if (wait > 1) await sleep(wait);
      if (this.closing) break;
      const clientId = item.kind === 'sub' ? item.s.clientId : item.kind === 'pub' ? item.p.clientId : item.c.clientId;
      const localAddress = sources.length === 0 ? undefined : sources[i % sources.length];
      jobs.push(
        (async () => {
          try {
            if (item.kind === 'idle') {
              const { client, connectMicros } = await IdleClient.connect(
                this.target,
                clientId,
                { ...this.options, localAddress, now: nowMicros, onStage },
                { onDrop: () => this.dropped(), onError: (kind) => this.recorder.error(kind) },
              );
              this.connected(connectMicros);
              this.idle.push(client);
              return;
            }
            if (this.phase.params.protocol === 'ws') {
              await this.connectWsClient(item, localAddress, onStage, filler);
              return;
            }
            if (qos === null) throw new Error('an MQTT phase without a QoS');
            const { client, connectMicros } = await connectMqtt(this.target, clientId, this.options, nowMicros, localAddress, onStage);
            this.connected(connectMicros);
            this.adopt(client);
            if (item.kind === 'sub') {
              const sub = new Subscriber(this.recorder, this.delivered);
              client.on('message', (_topic: string, payload: Buffer) => sub.onMessage(payload));
              const subMicros = await subscribeMqtt(client, item.s.filter, qos, nowMicros);
              this.recorder.subscribe.recordValue(Math.max(1, subMicros));
              this.subscribers.push(sub);
            } else {
              this.publishers.push(
                new Publisher(item.p, mqttSink(client, item.p.topic, qos), { filler, inflight: this.phase.params.inflight, delivered: this.delivered }, this.recorder),
              );
            }
          } catch (err) {
            const kind = err instanceof ConnectError ? err.kind : classifyError(err);
            this.recorder.connectFailures++;
            this.recorder.error(kind);
            failures.push({ clientId, kind, message: errorMessage(err) });
          }
        })(),
      );
    }
    await Promise.all(jobs);
    this.startPings();
    return { connected: this.connections, failures };
  }

  /**
   * Plain WebSocket. Echo: each client publishes and measures its own echoed messages (round
   * trip). Broadcast: publishers send into the phase's room, subscribers receive. Dropped sockets
   * are counted, not reconnected.
   */
  private async connectWsClient(
    item: { kind: 'sub'; s: SubscriberPlan } | { kind: 'pub'; p: PublisherPlan },
    localAddress: string | undefined,
    onStage: (stage: ConnectStage, micros: number) => void,
    filler: Buffer,
  ): Promise<void> {
    const role = this.phase.params.role;
    const query = role === 'broadcast' ? `${this.target.path.includes('?') ? '&' : '?'}room=${encodeURIComponent(this.phase.tag)}` : '';
    const { ws, connectMicros } = await connectWs(this.target, query, { ...this.options, localAddress, now: nowMicros, onStage });
    this.connected(connectMicros);
    this.sockets.push(ws);
    ws.on('error', (err) => this.recorder.error(classifyError(err)));
    ws.on('close', () => this.dropped());
    const inflight = this.phase.params.inflight;
    const pub = item.kind === 'pub' ? new Publisher(item.p, wsSink(ws), { filler, inflight, delivered: this.delivered }, this.recorder) : null;
    if (pub !== null) this.publishers.push(pub);
    if (item.kind === 'sub' || role === 'echo') {
      const sub = new Subscriber(this.recorder, this.delivered);
      // Echo, closed model: the returning message frees a window slot; send the next one now
      // rather than on the next scheduler pass, as a ping-pong client would.
      const refill = pub !== null && inflight !== null ? pub : null;
      ws.on('message', (data: Buffer) => {
        sub.onMessage(data);
        refill?.pump(nowMicros());
      });
      this.subscribers.push(sub);
    }
  }

  private recordStage(stage: ConnectStage, micros: number): void {
    const h = stage === 'tcp' ? this.recorder.connectTcp : stage === 'tls' ? this.recorder.connectTls : this.recorder.connectWs;
    h.recordValue(Math.max(1, micros));
  }

  /** A connection established (CONNACK, or WebSocket open): counted and its connect time recorded. */
  private connected(connectMicros: number): void {
    this.recorder.connects++;
    this.recorder.connect.recordValue(Math.max(1, connectMicros));
    this.connections++;
  }

  /** An idle or WebSocket connection the target closed: counted, not reconnected (the drop is the finding). */
  private dropped(): void {
    if (this.closing) return;
    this.connections--;
    this.recorder.disconnects++;
    this.recorder.error('closed');
  }

  /**
   * One timer pings every idle client each keepalive/2, spread over that interval in slices so
   * 19,000 pings never leave in one burst. A client with unanswered pings is counted once.
   */
  private startPings(): void {
    const keepaliveMs = this.options.keepaliveSeconds * 1000;
    if (this.idle.length === 0 || keepaliveMs === 0) return;
    const periodMs = keepaliveMs / 2;
    const slices = 10;
    let slice = 0;
    const tick = (): void => {
      for (let i = slice; i < this.idle.length; i += slices) {
        const c = this.idle[i];
        if (c !== undefined && c.ping() === 3) this.recorder.error('timeout');
      }
      slice = (slice + 1) % slices;
      this.pingTimer = setTimeout(tick, periodMs / slices);
    };
    this.pingTimer = setTimeout(tick, periodMs / slices);
  }

  /** Runtime handlers: errors counted by kind, drops counted and reconnected by the tool. */
  private adopt(client: MqttClient): void {
    this.clients.push(client);
    client.on('error', (err) => this.recorder.error(classifyError(err)));
    client.on('close', () => {
      if (this.closing) return;
      this.connections--;
      this.recorder.disconnects++;
      this.recorder.error('closed');
      const timer = setTimeout(() => {
        this.reconnectTimers.delete(timer);
        if (this.closing) return;
        this.recorder.reconnects++;
        client.reconnect();
      }, RECONNECT_DELAY_MS);
      this.reconnectTimers.add(timer);
    });
    client.on('connect', () => {
      // The first CONNACK was counted by connect(); this is a reconnect.
      if (!this.closing) this.connections++;
    });
  }

  start(startUs: number, steadyStartUs: number): void {
    this.recorder.steadyStartUs = steadyStartUs;
    const toSteady = Math.max(0, (steadyStartUs - nowMicros()) / 1000);
    this.steadyTimer = setTimeout(() => this.health.begin(), toSteady);
    for (const p of this.publishers) p.start(startUs);
    const run = (): void => {
      const now = nowMicros();
      for (const p of this.publishers) p.pump(now);
      this.loop = setTimeout(run, TICK_MS);
    };
    run();
  }

  stop(): void {
    this.recorder.steadyEndUs = Math.min(this.recorder.steadyEndUs, nowMicros());
    this.health.end();
    if (this.steadyTimer !== null) clearTimeout(this.steadyTimer);
    if (this.loop !== null) clearTimeout(this.loop);
    this.loop = null;
    for (const p of this.publishers) p.stop();
  }

  interval(t: number) {
    return this.recorder.takeInterval(this.plan.workerIndex, t, this.connections);
  }

  status(): { outstandingAcks: number; expected: number; unique: number } {
    let outstandingAcks = 0;
    let expected = 0;
    for (const p of this.publishers) {
      outstandingAcks += p.outstanding;
      expected += p.seq * p.plan.matching;
    }
    let unique = 0;
    for (const s of this.subscribers) for (const t of s.trackers.values()) unique += t.unique;
    return { outstandingAcks, expected, unique };
  }

  /** Closes every client and returns the phase report. */
  async finish(): Promise<WorkerPhaseReport> {
    this.stop();
    this.closing = true;
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    for (const t of this.reconnectTimers) clearTimeout(t);
    this.reconnectTimers.clear();
    const r = this.recorder;
    const report: WorkerPhaseReport = {
      workerIndex: this.plan.workerIndex,
      steady: { ...r.steady },
      total: { ...r.total },
      connects: r.connects,
      connectFailures: r.connectFailures,
      reconnects: r.reconnects,
      disconnects: r.disconnects,
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
      },
      sent: this.publishers.map((p) => ({ publisher: p.plan.id, sent: p.seq, matching: p.plan.matching })),
      delivery: deliveryByPublisher(this.subscribers),
      health: {
        workerIndex: this.plan.workerIndex,
        ...this.health.snapshot(),
        connections: this.connections,
        sendLagP99: r.sendLag.totalCount === 0 ? 0 : r.sendLag.getValueAtPercentile(99),
        windowStalls: this.publishers.reduce((a, p) => a + p.stalls, 0),
      },
    };
    await Promise.all([...this.clients.map((c) => endMqtt(c, 2000)), ...this.idle.map((c) => c.end()), ...this.sockets.map((ws) => endWs(ws, 2000))]);
    return report;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
