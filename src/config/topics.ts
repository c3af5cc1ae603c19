/**
 * Topic and filter templates: which variables they may use and whether they are valid MQTT
 * topic names / filters once rendered. Each check returns the problems as messages (empty:
 * valid) so callers attach their own `where`.
 */

/** Variables of publish topics, filters and will topics. */
export const TOPIC_VARS = ['client', 'group', 'n', 'worker', 'run'] as const;
/** Variables of payload templates. */
export const PAYLOAD_VARS = ['client', 'group', 'n', 'seq', 'time'] as const;

function listVars(vars: readonly string[]): string {
  const shown = vars.map((v) => `{${v}}`);
  return `${shown.slice(0, -1).join(', ')} or ${shown[shown.length - 1] ?? ''}`;
}

/**
 * Unknown {variables} in a template, as messages. Topics: anything in braces is meant as a
 * variable. Payloads (often JSON, braces of its own): only {name} with a plain name.
 */
export function templateVarProblems(template: string, vars: readonly string[], kind: 'topic' | 'payload' = 'topic'): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(kind === 'topic' ? /\{([^}]*)\}/g : /\{([A-Za-z_]\w*)\}/g)) {
    if (!vars.includes(m[1] ?? '')) out.push(`'{${m[1]}}' is not a template variable; use ${listVars(vars)}`);
  }
  return out;
}

/** A publish topic template: not empty, no wildcards, known variables. */
export function topicProblems(topic: string): string[] {
  if (topic === '') return ['must not be empty; use e.g. mqbench/{run}/{client}'];
  const out: string[] = [];
  if (/[#+]/.test(topic)) out.push(`'${topic}' contains a wildcard (+ or #); publish topics cannot, use e.g. mqbench/{run}/{client}`);
  if (topic.startsWith('$')) out.push(`'${topic}' starts with $, which is reserved for the broker ($SYS, $share); use e.g. mqbench/{run}/{client}`);
  if (topic.includes('\u0000')) out.push('contains a NUL character, which MQTT does not allow in topics');
  out.push(...templateVarProblems(topic, TOPIC_VARS));
  return out;
}

/** The share name and the inner filter of '$share/<name>/<filter>', or null for a plain filter. */
export function sharedFilter(filter: string): { share: string; filter: string } | null {
  if (!filter.startsWith('$share/')) return null;
  const rest = filter.slice('$share/'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? { share: rest, filter: '' } : { share: rest.slice(0, slash), filter: rest.slice(slash + 1) };
}

/** A subscription filter template: '+' a whole level, '#' a whole last level, $share/<name>/<filter>, known variables. */
export function filterProblems(template: string): string[] {
  if (template === '') return ['must not be empty; use e.g. mqbench/{run}/+'];
  const out = templateVarProblems(template, TOPIC_VARS);
  // Variables render to level text without '/', '+' or '#'; check the shape with a stand-in.
  const rendered = template.replace(/\{[^}]*\}/g, 'x');
  const shared = sharedFilter(rendered);
  let filter = rendered;
  if (shared !== null) {
    if (shared.share === '' || /[+#]/.test(shared.share)) {
      out.push(`'${template}': a shared subscription is $share/<name>/<filter> with a name without + or #, e.g. $share/workers/jobs/+`);
      return out;
    }
    if (shared.filter === '') {
      out.push(`'${template}' has no filter after the share name; use $share/<name>/<filter>, e.g. $share/${shared.share}/jobs/+`);
      return out;
    }
    filter = shared.filter;
  }
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    if (level.includes('+') && level !== '+') out.push(`'${template}': '+' must be a whole level (a/+/c), not part of '${level}'`);
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) out.push(`'${template}': '#' must be the whole last level (a/b/#)`);
  });
  if (filter.includes('\u0000')) out.push('contains a NUL character, which MQTT does not allow in filters');
  return out;
}
