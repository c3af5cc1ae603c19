/** Entry of the bundled broker's own process (forked by bundled.ts); see server-process.ts. */
import { BROKER_TRANSPORTS, startBroker } from './broker.js';
import { serveFromParent } from './server-process.js';

/**
 * The parent's rateLimit option (bundled.ts), from the same JSON as host and transports. JSON that
 * does not parse is left to serveFromParent, which reports it to the parent as a failed start.
 */
function rateLimitOption(): number | undefined {
  let raw: unknown;
  try {
    raw = (JSON.parse(process.env['MQBENCH_BROKER_OPTIONS'] ?? '{}') as { rateLimit?: unknown } | null)?.rateLimit;
  } catch {
    return undefined;
  }
  return typeof raw === 'number' && raw > 0 ? raw : undefined;
}
const rateLimit = rateLimitOption();

process.exitCode = await serveFromParent({
  optionsVar: 'MQBENCH_BROKER_OPTIONS',
  transports: BROKER_TRANSPORTS,
  fallback: 'tcp',
  secure: ['tls', 'wss'],
  start: (host, transports, tls) =>
    startBroker({ host, listeners: Object.fromEntries(transports.map((t) => [t, 0])), ...(tls !== undefined ? { tls } : {}), ...(rateLimit !== undefined ? { rateLimit } : {}) }),
  // Counted by message: aedes' errors say what went wrong but not in which stage.
  onError: (server, count) => server.onClientError((_id, err) => count(err.message)),
});
