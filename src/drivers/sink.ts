/**
 * The one thing a publisher needs from a driver, whatever the protocol: where its messages go
 * (an MQTT client publishing to its topic, or a WebSocket). `done` is called once the message
 * is acknowledged (MQTT QoS 1/2) or handed to the socket.
 */
export interface PublishSink {
  readonly connected: boolean;
  /** True when `done` means a protocol acknowledgement (PUBACK, PUBCOMP): its latency is recorded. */
  readonly acknowledged: boolean;
  publish(payload: Buffer, done: (err?: Error) => void): void;
}
