/**
 * mqbench's layers (README "Layout"), checked by `npm test` (scripts: pretest -> depcruise).
 *
 *   cli > coordinator > worker > drivers      a layer imports only the layers to its right
 *   config < plan                             plan reads config's scenario types; config never imports plan
 *   metrics, gates, reporters                 import no coordinator, worker or cli code
 *   servers                                   stands alone (the bundled broker and echo server)
 *
 * and no import cycle anywhere in src/.
 */
const layer = (name) => `^src/${name}/`;
const forbid = (name, from, to, comment) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'An import cycle: data climbs back up the layers.', severity: 'error', from: { path: '^src/' }, to: { circular: true } },
    forbid('nothing-imports-cli', '^src/(?!cli/)', layer('cli'), 'cli/ is the top: only it parses argv and exits.'),
    forbid('coordinator-is-below-cli', layer('coordinator'), layer('cli')),
    forbid('worker-is-below-coordinator', layer('worker'), `^src/(cli|coordinator|reporters|servers)/`, 'A load worker knows its drivers, plans and metrics, not who spawned it.'),
    forbid('drivers-are-below-worker', layer('drivers'), `^src/(cli|coordinator|worker|plan|gates|reporters|servers)/`, 'A driver talks one protocol; it knows no phase or worker.'),
    forbid('config-is-below-plan', layer('config'), `^src/(cli|coordinator|worker|plan|reporters|servers)/`, 'Scenario types, loading and validation: plain data, below the plan that reads it.'),
    forbid('plan-is-pure', layer('plan'), `^src/(cli|coordinator|worker|reporters|servers|gates)/`, 'Scenario -> phases -> per-worker plans, a pure function.'),
    forbid('metrics-below-runtime', layer('metrics'), `^src/(cli|coordinator|worker|reporters|servers|gates)/`, 'Metric names, histograms, recorders, merges and the report types that cross threads.'),
    forbid('gates-below-runtime', layer('gates'), `^src/(cli|coordinator|worker|reporters|servers)/`, 'Thresholds, baseline comparison and the verdict judge results; they run nothing.'),
    forbid('reporters-below-runtime', layer('reporters'), `^src/(cli|coordinator|worker|servers)/`, 'Reporters turn results into text; they run nothing.'),
    forbid('servers-stand-alone', layer('servers'), `^src/(cli|coordinator|worker|drivers|plan|config|gates|reporters)/`, 'The bundled servers are their own programs.'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
