/** Levenshtein distance (case-insensitive), for 'did you mean' on unknown keys, flags and metric names. */
export function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/**
 * The known name a mistyped one most likely meant: the same letters spelled differently
 * (rate_per_client, connectrate), else the nearest within max(2, a third of its length) edits
 * (swapped letters first among equals); null when none is close.
 */
export function closest(name: string, known: readonly string[]): string | null {
  const normal = (s: string): string => s.toLowerCase().replace(/[-_ ]/g, '');
  const same = known.find((k) => normal(k) === normal(name));
  if (same !== undefined) return same;
  // Two letters swapped cost 2 edits, as much as two wrong letters: on a tie, the same letters win (--tsl: --tls, not --tcp).
  const letters = (s: string): string => [...s.toLowerCase()].sort().join('');
  let best: string | null = null;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(name, k) - (letters(k) === letters(name) ? 0.5 : 0);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}
