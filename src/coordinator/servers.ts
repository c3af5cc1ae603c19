/**
 * The servers of a run: the brokers and echo server mqbench starts for the phases that name no
 * target (once per run), the reachability probe, and where each group of a phase connects.
 */
import type { Target } from '../config/endpoints.js';
import type { BrokerName, GroupSpec, Scenario } from '../config/model.js';
import type { TargetEndpoint } from '../drivers/transports.js';
import type { PhaseSpec } from '../plan/plan.js';
import type { BundledBroker } from '../servers/bundled.js';
import { startBundledEcho, type BundledEcho } from '../servers/bundled-echo.js';
import type { EchoTransport } from '../servers/echo.js';
import { brokerTransports, startManagedBroker } from './brokers.js';
import type { TargetInfo } from './coordinator.js';
import { probeTcp } from './probe.js';

const PROBE_TIMEOUT_MS = 3000;

/** The servers mqbench started for a run: a broker per kind the phases name (matrix.broker: both), the echo server. */
export interface StartedServers {
  brokers: Partial<Record<BrokerName, BundledBroker>>;
  echo: BundledEcho | null;
}

/**
 * Starts the brokers and echo server the phases need (those without a named target), each
 * once for the run and pushed to `servers` as soon as it runs so the caller stops it whatever
 * happens next.
 */
export async function startServers(
  config: Scenario,
  specs: readonly PhaseSpec[],
  servers: Array<{ stop(): Promise<Record<string, number>> }>,
  onNote?: (line: string) => void,
): Promise<StartedServers> {
  const all = specs.flatMap((s) => s.groups);
  const wsTransports = [...new Set(all.filter((g) => g.protocol === 'ws').map((g) => g.transport))];
  const brokers: StartedServers['brokers'] = {};
  let echo: BundledEcho | null = null;
  for (const [kind, transports] of config.targets.length === 0 ? brokerTransports(specs) : []) {
    const broker = await startManagedBroker(kind, transports);
    servers.push(broker);
    brokers[kind] = broker;
    onNote?.(`bundled broker (${kind}) listening on ${Object.values(broker.urls).join(', ')}, pid ${broker.pid}`);
  }
  if (wsTransports.length > 0 && config.wsTargets.length === 0) {
    echo = await startBundledEcho({ transports: wsTransports.filter((t): t is EchoTransport => t === 'ws' || t === 'wss') });
    servers.push(echo);
    onNote?.(`bundled WebSocket echo server listening on ${Object.values(echo.urls).join(', ')} (/echo, /broadcast), pid ${echo.pid}`);
  }
  return { brokers, echo };
}

/** Probes every distinct endpoint once; the first that cannot be reached, as a message. */
export async function firstUnreachable(list: ReadonlyArray<{ e: TargetEndpoint; url: string }>): Promise<string | null> {
  const seen = new Set<string>();
  for (const { e, url } of list) {
    const key = `${e.host}:${e.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const probe = await probeTcp(e.host, e.port, PROBE_TIMEOUT_MS);
    if (!probe.ok) return `cannot reach ${url}: ${probe.kind} (${probe.message}). Check that the server is running and --target is right.`;
  }
  return null;
}

/** Where each group connects: the bundled servers (the phase's broker), or the named targets (one per transport). */
export class Endpoints {
  private readonly echo: BundledEcho | null;

  constructor(
    private readonly config: Scenario,
    private readonly started: StartedServers,
  ) {
    this.echo = started.echo;
  }

  /** The broker mqbench started for the phase; null when the phase has a named target. */
  private brokerFor(spec: PhaseSpec): BundledBroker | null {
    if (spec.broker === null) return null;
    const broker = this.started.brokers[spec.broker];
    if (broker === undefined) throw new Error(`phase ${spec.name}: the bundled broker (${spec.broker}) was not started`);
    return broker;
  }

  forPhase(spec: PhaseSpec, sources: string[]): TargetInfo & { urls: string[] } {
    const broker = this.brokerFor(spec);
    const resolved = spec.groups.map((g) => this.forGroup(g, broker));
    const urls = resolved.map((r) => r.url);
    const mqtt = spec.params.protocol === 'mqtt';
    const server = mqtt ? broker : this.echo;
    return {
      endpoints: resolved.map((r) => r.endpoint),
      urls,
      url: [...new Set(urls)].join(', '),
      pid: server !== null ? server.pid : this.config.targetPid,
      bundled: server !== null,
      sources,
    };
  }

  private forGroup(g: GroupSpec, broker: BundledBroker | null): { endpoint: TargetEndpoint; url: string } {
    const c = this.config;
    const secure = g.transport === 'tls' || g.transport === 'wss';
    const verify = !c.insecure;
    if (g.protocol === 'mqtt') {
      if (broker !== null) return this.bundled(broker, g, '/mqtt', 'mqtt', secure);
      const t = pickTarget(c.targets, g, '--target');
      return { endpoint: { transport: t.transport, host: t.host, port: t.port, path: t.path === '' ? '/mqtt' : t.path, ca: c.caPem, verify, servername: t.host, subprotocol: 'mqtt' }, url: t.url };
    }
    const path = g.role === 'echo' ? '/echo' : '/broadcast';
    if (this.echo !== null) return this.bundled(this.echo, g, path, null, secure);
    const t = pickTarget(c.wsTargets, g, '--ws-target');
    return { endpoint: { transport: t.transport, host: t.host, port: t.port, path: t.path === '' ? path : t.path, ca: c.caPem, verify, servername: t.host, subprotocol: null }, url: t.url };
  }

  private bundled(server: BundledBroker | BundledEcho, g: GroupSpec, path: string, subprotocol: string | null, secure: boolean): { endpoint: TargetEndpoint; url: string } {
    const port = (server.ports as Partial<Record<string, number>>)[g.transport];
    const base = (server.urls as Partial<Record<string, string>>)[g.transport];
    if (port === undefined || base === undefined) throw new Error(`the bundled ${subprotocol === null ? 'echo server' : 'broker'} did not open a ${g.transport} listener`);
    const c = this.config;
    return {
      endpoint: { transport: g.transport, host: server.host, port, path, ca: c.caPem ?? (secure ? server.caPem : null), verify: !c.insecure, servername: server.host, subprotocol },
      url: subprotocol === null ? `${base}${path}` : base,
    };
  }
}

/** The named target for a group's transport (preflight has checked there is one). */
function pickTarget(targets: readonly Target[], g: GroupSpec, flag: string): Target {
  const t = targets.find((x) => x.transport === g.transport);
  if (t === undefined) throw new Error(`group ${g.name} connects over ${g.transport} but no ${flag} has a ${g.transport} URL`);
  return t;
}
