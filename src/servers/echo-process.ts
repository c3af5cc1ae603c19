/** Entry of the bundled WebSocket echo server's own process (forked by bundled-echo.ts); see server-process.ts. */
import { ECHO_TRANSPORTS, startEchoServer } from './echo.js';
import { serveFromParent } from './server-process.js';

process.exitCode = await serveFromParent({
  optionsVar: 'MQBENCH_ECHO_OPTIONS',
  transports: ECHO_TRANSPORTS,
  fallback: 'ws',
  secure: ['wss'],
  start: (host, transports, tls) =>
    startEchoServer({ host, listeners: Object.fromEntries(transports.map((t) => [t, 0])), ...(tls !== undefined ? { tls } : {}) }),
  // Counted by kind and message, e.g. 'slow-consumer: receiver terminated: ...'.
  onError: (server, count) => server.onError((kind, err) => count(`${kind}: ${err.message}`)),
});
