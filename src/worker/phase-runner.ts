/**
 * One worker's part of one phase: connect its clients at the paced rate, subscribe, then
 * on 'start' drive its publishers from one scheduler loop until 'stop', and report.
 */
import type { MqttClient } from 'mqtt';
import type { ClientOptions, ConnectFailure, TargetEndpoint, WorkerPhaseReport } from '../coordinator/protocol.js';
import { classifyError, errorMessage } from '../drivers/errors.js';
import { ConnectError, connectMqtt, endMqtt, subscribeMqtt } from '../drivers/mqtt-driver.js';
import { nowMicros } from '../metrics/clock.js';
import { makeFiller } from '../metrics/payload.js';
import { Recorder, encodeOrEmpty } from '../metrics/recorder.js';
import type { PhaseSpec, WorkerPlan } from '../plan/plan.js';
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
    ];
    const begin = Date.now();
    for (let i = 0; i < all.length; i++) {
      const item = all[i];
      if (item === undefined) continue;
      const wait = begin + i * gapMs - Date.now();
      if (wait > 1) await sleep(wait);
      if (this.closing) break;
      const clientId = item.kind === 'sub' ? item.s.clientId : item.p.clientId;
      jobs.push(
        (async () => {
          try {
            const { client, connectMicros } = await connectMqtt(this.target, clientId, this.options, nowMicros);
            this.recorder.connects++;
            this.recorder.connect.recordValue(Math.max(1, connectMicros));
            this.adopt(client);
            if (item.kind === 'sub') {
              const sub = new Subscriber(this.recorder, this.delivered);
              client.on('message', (_topic: string, payload: Buffer) => sub.onMessage(payload));
              const subMicros = await subscribeMqtt(client, item.s.filter, qos, nowMicros);
              this.recorder.subscribe.recordValue(Math.max(1, subMicros));
              this.subscribers.push(sub);
            } else {
              this.publishers.push(
                new Publisher(item.p, client, { qos, filler, inflight: this.phase.params.inflight, delivered: this.delivered }, this.recorder),
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
    return { connected: this.connections, failures };
  }

  /** Runtime handlers: errors counted by kind, drops counted and reconnected by the tool. */
  private adopt(client: MqttClient): void {
    this.clients.push(client);
    this.connections++;
    client.on('error', (err) => this.recorder.error(classifyError(err)));
    client.on('close', () => {
      if (this.closing) return;
      this.connections--;
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
      errors: { ...r.errors },
      histograms: {
        e2e: encodeOrEmpty(r.e2e),
        e2eUncorrected: encodeOrEmpty(r.e2eUncorrected),
        ack: encodeOrEmpty(r.ack),
        connect: encodeOrEmpty(r.connect),
        subscribe: encodeOrEmpty(r.subscribe),
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
    await Promise.all(this.clients.map((c) => endMqtt(c, 2000)));
    return report;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
