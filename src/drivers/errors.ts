/**
 * Error kinds, so every report can count errors by cause. Unknown errors are 'other'
 * and keep their message in the worker log; none is dropped.
 */
export type ErrorKind =
  | 'refused'
  | 'timeout'
  | 'reset'
  | 'closed'
  | 'unreachable'
  | 'dns'
  | 'tls'
  | 'rejected'
  | 'protocol'
  | 'publish'
  | 'subscribe'
  | 'foreign-message'
  | 'duplicate-will'
  | 'other';

/** A connect (or subscribe) attempt that failed, with the kind it is counted under. */
export class ConnectError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export function classifyError(err: unknown): ErrorKind {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.code === 'number' ? `rc${e.code}` : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ERR_WS_UPGRADE_REFUSED') return 'rejected';
  if (code === 'ETIMEDOUT' || code === 'CONNECT_TIMEOUT' || /timed? ?out/i.test(message)) return 'timeout';
  if (code === 'ECONNRESET') return 'reset';
  if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END') return 'closed';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return 'unreachable';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT') || /certificate|ssl|tls/i.test(message)) return 'tls';
  if (code.startsWith('rc') || /connection refused: /i.test(message) || /not authorized|bad user/i.test(message)) return 'rejected';
  if (/invalid|malformed|protocol/i.test(message)) return 'protocol';
  if (/client disconnecting|connection closed|disconnect/i.test(message)) return 'closed';
  return 'other';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return code === undefined ? err.message : `${err.message} (${String(code)})`;
  }
  return String(err);
}
