/**
 * The one thing a publisher needs from a driver, whatever the protocol: where its messages go
 * (an MQTT client publishing to its topic, or a WebSocket). Messages are known by their
 * sequence number: the sink reports each one back by that number to the listener the
 * publisher set, so nothing is allocated per message on the lean path.
 */
export interface SinkListener {
  /**
   * Message `seq` is done: acknowledged (MQTT QoS 1/2: PUBACK, PUBCOMP) when the sink is
   * `acknowledged`, otherwise handed to the socket. May come for a message of a connection
   * that has since dropped: the publisher knows which numbers it already wrote off.
   */
  done(seq: number): void;
  /** Message `seq` could not be sent. Not called for messages of a connection being given up (the drop resolves those). */
  failed(seq: number, err: Error): void;
}

export interface PublishSink {
  readonly connected: boolean;
  /** True when done() means a protocol acknowledgement (PUBACK, PUBCOMP): its latency is recorded. */
  readonly acknowledged: boolean;
  /** True when publish() is done with the payload when it returns (it copied it): the caller may reuse the buffer. */
  readonly copiesPayload: boolean;
  /** Where done() and failed() go; set once, before the first publish. */
  listen(listener: SinkListener): void;
  publish(payload: Buffer, seq: number): void;
}
