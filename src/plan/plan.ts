/**
 * Pure planning: a validated run config becomes phases (one per QoS), and each phase
 * becomes one plan per worker (which clients it owns, their ids, topics and rate shares).
 * No I/O here; table-driven tests pin the split.
 */
import type { Protocol, Qos, RunConfig } from '../config/run-config.js';

export type Role = 'pubsub' | 'echo' | 'broadcast' | 'connect';
import type { Transport } from '../drivers/transports.js';
import { topicMatches } from './topic-match.js';

export type LoadModel = 'open' | 'closed';

export interface PhaseParams {
  protocol: Protocol;
  transport: Transport;
  /** pubsub (MQTT publishers and subscribers), echo or broadcast (plain WebSocket), connect (idle clients only). */
  role: Role;
  /** MQTT protocol level: 4 is 3.1.1. */
  mqttVersion: 4;
  /** MQTT QoS; null for plain WebSocket (reliable like TCP: any loss fails the phase). */
  qos: Qos | null;
  payloadBytes: number;
  publishers: number;
  subscribers: number;
  /** Idle connect-only clients held through the phase. */
  connections: number;
  model: LoadModel;
  /** Open model: total messages per second; null in the closed model. */
  rate: number | null;
  /** Closed model: window per publisher; null in the open model. */
  inflight: number | null;
  topic: string;
  noDelay: boolean;
}

export interface PhaseSpec {
  index: number;
  /** e.g. 'mqtt-tcp-qos1' */
  name: string;
  /** Unique per run and phase; {run} in topics, part of client ids. */
  tag: string;
  params: PhaseParams;
  warmupMs: number;
  durationMs: number;
  drainMs: number;
}

export interface PublisherPlan {
  /** Unique within the phase, from 1; carried in every payload header. */
  id: number;
  clientId: string;
  topic: string;
  /** Open model: this client's messages per second; null in the closed model. */
  ratePerSecond: number | null;
  /** Open model: offset of the first send from the start, in microseconds, so publishers interleave. */
  startOffsetUs: number;
  /** Subscribers whose filter matches this topic (each should get every message once). */
  matching: number;
}

export interface SubscriberPlan {
  id: number;
  clientId: string;
  filter: string;
}

export interface IdlePlan {
  clientId: string;
}

export interface WorkerPlan {
  workerIndex: number;
  publishers: PublisherPlan[];
  subscribers: SubscriberPlan[];
  idle: IdlePlan[];
  /** Source addresses for this worker's connections, used in turn; empty: the OS picks. */
  localAddresses: string[];
  /** This worker's share of the connect rate, connections per second. */
  connectRate: number;
}

/** e.g. mqtt-tcp-qos1, mqtt-wss-qos0, mqtt-tcp-connect, ws-echo, wss-broadcast. */
export function phaseName(params: Pick<PhaseParams, 'protocol' | 'transport' | 'qos' | 'role'>): string {
  if (params.protocol === 'ws') return `${params.transport}-${params.role}`;
  if (params.role === 'connect') return `mqtt-${params.transport}-connect`;
  return `mqtt-${params.transport}-qos${params.qos}`;
}

/**
 * MQTT: one phase per QoS; a run with no publishers (connections only) has one phase.
 * Plain WebSocket: one phase (QoS does not apply).
 */
export function planPhases(config: RunConfig, runId: string): PhaseSpec[] {
  const ws = config.protocol === 'ws';
  const role: Role = ws ? config.wsRole : config.publishers === 0 ? 'connect' : 'pubsub';
  const levels: Array<Qos | null> = ws ? [null] : role === 'connect' ? config.qos.slice(0, 1) : config.qos;
  return levels.map((qos, index) => {
    const params: PhaseParams = {
      protocol: config.protocol,
      transport: config.transport,
      role,
      mqttVersion: 4,
      qos,
      payloadBytes: config.payloadBytes,
      publishers: config.publishers,
      subscribers: ws && config.wsRole === 'echo' ? 0 : config.subscribers,
      connections: config.connections,
      model: config.rate === null ? 'closed' : 'open',
      rate: config.rate,
      inflight: config.rate === null ? config.inflight : null,
      topic: config.topic,
      noDelay: config.noDelay,
    };
    return {
      index,
      name: phaseName(params),
      tag: `${runId}-${index}`,
      params,
      warmupMs: config.warmupMs,
      durationMs: config.durationMs,
      drainMs: config.drainMs,
    };
  });
}

export function renderTopic(template: string, vars: { client: string; n: number; worker: number; run: string }): string {
  return template
    .replaceAll('{client}', vars.client)
    .replaceAll('{n}', String(vars.n))
    .replaceAll('{worker}', String(vars.worker))
    .replaceAll('{run}', vars.run);
}

/** The subscription filter for a publish template: {run} filled in, every other templated level a '+'. */
export function filterForTemplate(template: string, run: string): string {
  return template
    .replaceAll('{run}', run)
    .split('/')
    .map((level) => (level.includes('{') ? '+' : level))
    .join('/');
}

/**
 * Splits a phase over `workers` threads. Publishers and subscribers are dealt round-robin
 * from one list (publishers first), so one publisher and one subscriber land on different
 * workers and both cores work. Rates are split evenly over publishers; start offsets
 * spread each publisher's first send over one interval so sends interleave.
 */
export function planWorkers(phase: PhaseSpec, workers: number, localAddresses: readonly string[] = []): WorkerPlan[] {
  const { params, tag } = phase;
  const plans: WorkerPlan[] = Array.from({ length: workers }, (_, workerIndex) => ({
    workerIndex,
    publishers: [],
    subscribers: [],
    idle: [],
    localAddresses: [...localAddresses],
    connectRate: 0,
  }));
  const filter = filterForTemplate(params.topic, tag);
  const perPublisherRate = params.rate === null ? null : params.rate / params.publishers;
  const intervalUs = perPublisherRate === null ? 0 : 1_000_000 / perPublisherRate;

  for (let i = 0; i < params.publishers; i++) {
    const plan = plans[i % workers];
    if (plan === undefined) throw new Error('unreachable: worker index out of range');
    const clientId = `mqb-${tag}-p${i + 1}`;
    const topic = renderTopic(params.topic, { client: clientId, n: i + 1, worker: plan.workerIndex, run: tag });
    plan.publishers.push({
      id: i + 1,
      clientId,
      topic,
      ratePerSecond: perPublisherRate,
      startOffsetUs: Math.floor((intervalUs * i) / params.publishers),
      matching: params.role === 'echo' ? 1 : params.role === 'broadcast' ? params.subscribers : topicMatches(filter, topic) ? params.subscribers : 0,
    });
  }
  for (let j = 0; j < params.subscribers; j++) {
    const plan = plans[(params.publishers + j) % workers];
    if (plan === undefined) throw new Error('unreachable: worker index out of range');
    plan.subscribers.push({ id: j + 1, clientId: `mqb-${tag}-s${j + 1}`, filter });
  }
  for (let k = 0; k < params.connections; k++) {
    const plan = plans[(params.publishers + params.subscribers + k) % workers];
    if (plan === undefined) throw new Error('unreachable: worker index out of range');
    plan.idle.push({ clientId: `mqb-${tag}-c${k + 1}` });
  }
  return plans;
}

/** Splits a total connect rate over the workers that have clients. */
export function withConnectRates(plans: WorkerPlan[], totalRate: number): WorkerPlan[] {
  const busy = plans.filter((p) => p.publishers.length + p.subscribers.length + p.idle.length > 0).length;
  return plans.map((p) => ({ ...p, connectRate: busy === 0 || p.publishers.length + p.subscribers.length + p.idle.length === 0 ? 0 : totalRate / busy }));
}
