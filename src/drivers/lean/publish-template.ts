/**
 * PUBLISH for the lean engine: encoded once per client and topic, then written per message by
 * patching the packet id and DUP in place and appending the payload (no allocation).
 */
import { checkString, MAX_REMAINING_LENGTH, u16, utf8String, varInt, varIntLength, type Version } from './codec.js';

export interface PublishTemplateOptions {
  /** Topic name (no wildcards, no U+0000, at most 65535 UTF-8 bytes). '' only with topicAlias (MQTT 5). */
  topic: string;
  qos: 0 | 1 | 2;
  retain: boolean;
  version: Version;
  /** MQTT 5 only: sent with every message, in key order. */
  userProperties?: Record<string, string> | null;
  /** MQTT 5 only: Message Expiry Interval in seconds, 0..2^32-1. */
  messageExpirySeconds?: number | null;
  /** MQTT 5 only: Topic Alias, 1..65535 and at most the server's CONNACK Topic Alias Maximum. */
  topicAlias?: number | null;
}

/**
 * One client's PUBLISH for one topic, encoded once: the fixed header byte without DUP, and the
 * whole variable header (topic, a 2-byte hole for the packet id at QoS 1/2, MQTT 5 properties).
 * write() copies that, patches the packet id and DUP, and appends the payload: no allocation.
 *
 * Topic aliases (MQTT 5) take two templates, see publishTemplates(): `first` carries topic and
 * alias and sets up the mapping, `rest` carries an empty topic and the alias. The mapping lives
 * as long as the network connection (3.3.2.3.4): after every (re)connect, send `first` again
 * before `rest`, retransmissions (dup) included.
 */
export class PublishTemplate {
  readonly qos: 0 | 1 | 2;
  /** Byte 0 without DUP: type 3, QoS, RETAIN. */
  private readonly byte0: number;
  /** Topic length + topic + packet id hole (QoS > 0) + properties (MQTT 5). */
  private readonly varHeader: Buffer;
  /** Where the packet id goes, counted from the start of the variable header (QoS > 0). */
  private readonly pidAt: number;

  constructor(o: PublishTemplateOptions) {
    if (o.qos !== 0 && o.qos !== 1 && o.qos !== 2) throw new RangeError(`qos must be 0, 1 or 2, not ${String(o.qos)}`);
    const alias = o.topicAlias ?? null;
    const expiry = o.messageExpirySeconds ?? null;
    const user = o.userProperties ?? null;
    if (o.version !== 5 && (alias !== null || expiry !== null || user !== null)) {
      throw new RangeError('userProperties, messageExpirySeconds and topicAlias are MQTT 5 properties (version is 4)');
    }
    checkString('topic', o.topic);
    if (/[+#]/.test(o.topic)) throw new RangeError(`topic ${JSON.stringify(o.topic)}: a topic name has no wildcards (MQTT-3.3.2-2)`);
    if (o.topic === '' && alias === null) throw new RangeError('an empty topic needs a topicAlias (MQTT 5, 3.3.2.3.4)');
    if (alias !== null && (!Number.isInteger(alias) || alias < 1 || alias > 0xffff)) throw new RangeError(`topicAlias must be 1..65535, not ${alias}`);
    if (expiry !== null && (!Number.isInteger(expiry) || expiry < 0 || expiry > 0xffffffff)) {
      throw new RangeError(`messageExpirySeconds must be an integer 0..4294967295, not ${expiry}`);
    }
    const topic = Buffer.from(o.topic, 'utf8');
    const props: Buffer[] = [];
    if (o.version === 5) {
      if (expiry !== null) props.push(Buffer.from([0x02, expiry >>> 24, (expiry >>> 16) & 0xff, (expiry >>> 8) & 0xff, expiry & 0xff]));
      if (alias !== null) props.push(Buffer.from([0x23, alias >> 8, alias & 0xff]));
      for (const [k, v] of Object.entries(user ?? {})) {
        checkString('user property name', k);
        checkString(`user property ${JSON.stringify(k)}`, v);
        props.push(Buffer.from([0x26]), utf8String(k), utf8String(v));
      }
    }
    const propsLength = props.reduce((n, b) => n + b.length, 0);
    const parts = [u16(topic.length), topic];
    if (o.qos > 0) parts.push(u16(0));
    if (o.version === 5) parts.push(varInt(propsLength), ...props);
    this.varHeader = Buffer.concat(parts);
    this.pidAt = 2 + topic.length;
    this.qos = o.qos;
    this.byte0 = 0x30 | (o.qos << 1) | (o.retain ? 1 : 0);
  }

  /** Total bytes of the packet with a payload of payloadLength bytes. */
  size(payloadLength: number): number {
    const rl = this.varHeader.length + payloadLength;
    if (rl > MAX_REMAINING_LENGTH) throw new RangeError(`PUBLISH of ${rl} bytes after the fixed header exceeds MQTT's ${MAX_REMAINING_LENGTH}`);
    return 1 + varIntLength(rl) + rl;
  }

  /**
   * Writes the whole packet at target[offset..] and returns the offset after it. packetId
   * (1..65535) is ignored at QoS 0, and so is dup (DUP must be 0 at QoS 0, MQTT-3.3.1-2).
   */
  write(target: Buffer, offset: number, packetId: number, payload: Buffer, dup = false): number {
    const head = this.varHeader;
    let rl = head.length + payload.length;
    if (rl > MAX_REMAINING_LENGTH) throw new RangeError(`PUBLISH of ${rl} bytes after the fixed header exceeds MQTT's ${MAX_REMAINING_LENGTH}`);
    if (offset + 1 + varIntLength(rl) + rl > target.length) throw new RangeError('PUBLISH does not fit in the target buffer');
    let o = offset;
    if (this.qos === 0) {
      target[o++] = this.byte0;
    } else {
      if (!(packetId >= 1 && packetId <= 0xffff && (packetId | 0) === packetId)) throw new RangeError(`packet id must be 1..65535, not ${packetId}`);
      target[o++] = dup ? this.byte0 | 0x08 : this.byte0;
    }
    while (rl > 0x7f) {
      target[o++] = (rl & 0x7f) | 0x80;
      rl >>>= 7;
    }
    target[o++] = rl;
    target.set(head, o);
    if (this.qos !== 0) {
      target[o + this.pidAt] = packetId >> 8;
      target[o + this.pidAt + 1] = packetId & 0xff;
    }
    o += head.length;
    target.set(payload, o);
    return o + payload.length;
  }
}

/**
 * The templates for one topic: without a topicAlias both are the same template; with one,
 * `first` (topic + alias) after each (re)connect and `rest` (empty topic + alias) after it.
 */
export function publishTemplates(o: PublishTemplateOptions): { first: PublishTemplate; rest: PublishTemplate } {
  const first = new PublishTemplate(o);
  const rest = (o.topicAlias ?? null) === null ? first : new PublishTemplate({ ...o, topic: '' });
  return { first, rest };
}
