/** Entry of the bundled broker's own process (forked by bundled.ts); see server-process.ts. */
import { BROKER_TRANSPORTS, startBroker } from './broker.js';
import { serveFromParent } from './server-process.js';

process.exitCode = await serveFromParent({
  optionsVar: 'MQBENCH_BROKER_OPTIONS',
  transports: BROKER_TRANSPORTS,
  fallback: 'tcp',
  secure: ['tls', 'wss'],
  start: (host, transports, tls) =>
    startBroker({ host, listeners: Object.fromEntries(transports.map((t) => [t, 0])), ...(tls !== undefined ? { tls } : {}) }),
  // Counted by message: aedes' errors say what went wrong but not in which stage.
  onError: (server, count) => server.onClientError((_id, err) => count(err.message)),
});
