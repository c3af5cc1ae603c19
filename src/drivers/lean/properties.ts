/**
 * MQTT 5 properties, decoded for CONNACK only (once per connection): names and shapes as
 * mqtt-packet gives them, repeated properties as arrays, user properties in a null-prototype object.
 */

type Kind = 'bool' | 'u8' | 'u16' | 'u32' | 'var' | 'string' | 'pair' | 'binary';
const PROPERTIES: ReadonlyMap<number, readonly [string, Kind]> = new Map<number, readonly [string, Kind]>([
  [0x01, ['payloadFormatIndicator', 'bool']], [0x02, ['messageExpiryInterval', 'u32']], [0x03, ['contentType', 'string']],
  [0x08, ['responseTopic', 'string']], [0x09, ['correlationData', 'binary']], [0x0b, ['subscriptionIdentifier', 'var']],
  [0x11, ['sessionExpiryInterval', 'u32']], [0x12, ['assignedClientIdentifier', 'string']], [0x13, ['serverKeepAlive', 'u16']],
  [0x15, ['authenticationMethod', 'string']], [0x16, ['authenticationData', 'binary']], [0x17, ['requestProblemInformation', 'bool']],
  [0x18, ['willDelayInterval', 'u32']], [0x19, ['requestResponseInformation', 'bool']], [0x1a, ['responseInformation', 'string']],
  [0x1c, ['serverReference', 'string']], [0x1f, ['reasonString', 'string']], [0x21, ['receiveMaximum', 'u16']],
  [0x22, ['topicAliasMaximum', 'u16']], [0x23, ['topicAlias', 'u16']], [0x24, ['maximumQoS', 'u8']],
  [0x25, ['retainAvailable', 'bool']], [0x26, ['userProperties', 'pair']], [0x27, ['maximumPacketSize', 'u32']],
  [0x28, ['wildcardSubscriptionAvailable', 'bool']], [0x29, ['subscriptionIdentifiersAvailable', 'bool']],
  [0x2a, ['sharedSubscriptionAvailable', 'bool']],
]);

/** Properties (length varint first) filling b[p..end) exactly: the decoded object, null when empty, or an error message. */
export function decodeProperties(b: Buffer, p: number, end: number): Record<string, unknown> | null | string {
  let length = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (i === 4) return 'property length longer than 4 bytes';
    if (p >= end) return 'no property length';
    const x = b[p++]!;
    length += (x & 0x7f) * mul;
    if (x < 0x80) break;
    mul *= 0x80;
  }
  if (p + length !== end) return `property length ${length} does not match the ${end - p} bytes left`;
  const out: Record<string, unknown> = {};
  let user: Record<string, string | string[]> | null = null;
  const str = (): string | null => {
    if (p + 2 > end) return null;
    const l = (b[p]! << 8) | b[p + 1]!;
    if (p + 2 + l > end) return null;
    const s = b.toString('utf8', p + 2, p + 2 + l);
    p += 2 + l;
    return s;
  };
  while (p < end) {
    const id = b[p++]!;
    const prop = PROPERTIES.get(id);
    if (prop === undefined) return `unknown property 0x${id.toString(16)}`;
    const [name, kind] = prop;
    let value: unknown;
    const fixed = kind === 'bool' || kind === 'u8' ? 1 : kind === 'u16' ? 2 : kind === 'u32' ? 4 : 0;
    if (p + fixed > end) return `${name} cut short`;
    switch (kind) {
      case 'bool': value = b[p++] !== 0; break;
      case 'u8': value = b[p++]; break;
      case 'u16': value = b.readUInt16BE(p); p += 2; break;
      case 'u32': value = b.readUInt32BE(p); p += 4; break;
      case 'var': {
        let v = 0;
        let m = 1;
        for (let i = 0; ; i++) {
          if (i === 4 || p >= end) return `${name} is not a variable byte integer`;
          const x = b[p++]!;
          v += (x & 0x7f) * m;
          if (x < 0x80) break;
          m *= 0x80;
        }
        value = v;
        break;
      }
      case 'string': case 'binary': {
        if (p + 2 > end) return `${name} cut short`;
        const l = (b[p]! << 8) | b[p + 1]!;
        if (p + 2 + l > end) return `${name} cut short`;
        value = kind === 'string' ? b.toString('utf8', p + 2, p + 2 + l) : Buffer.from(b.subarray(p + 2, p + 2 + l));
        p += 2 + l;
        break;
      }
      case 'pair': {
        const k = str();
        const v = k === null ? null : str();
        if (k === null || v === null) return 'user property cut short';
        user ??= Object.create(null) as Record<string, string | string[]>;
        const prev = user[k];
        user[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
        continue;
      }
    }
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  if (user !== null) out['userProperties'] = user;
  return Object.keys(out).length > 0 ? out : null;
}
