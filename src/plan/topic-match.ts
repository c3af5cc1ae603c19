/**
 * MQTT topic filter matching (+ one level, # the rest), for delivery expectations. As the
 * spec says (MQTT 3.1.1 4.7.2), a filter starting with a wildcard does not match a topic
 * starting with '$' ($SYS/...): brokers deliver those only to filters naming the '$' level.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i < t.length || (i === t.length && i > 0);
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
