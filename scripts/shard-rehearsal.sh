#!/usr/bin/env bash
# Local rehearsal of a sharded run: N `mqbench run --shard i/N` processes side by side on this
# machine against one broker, all starting at the same wall-clock time, then `mqbench merge`.
# It is what a Kubernetes Indexed Job does across machines (deploy/kubernetes/), on one host.
#
#   scripts/shard-rehearsal.sh N OUT_DIR [run arguments...]
#   scripts/shard-rehearsal.sh 3 results/rehearsal scenarios/fan-in.yaml --target mqtt://127.0.0.1:1883
#
# The run arguments must name the --target every shard loads (each shard would otherwise start a
# bundled broker of its own). Each shard writes OUT_DIR/shard-i/ (its result) and OUT_DIR/shard-i.log;
# the merged result goes to OUT_DIR/merged/. MQBENCH_REHEARSAL_LEAD (seconds, default 5) is how far
# ahead the common start is set, time enough for every process to start and connect its clients.
# MQBENCH_MERGE_ARGS is added to the merge command (e.g. "--report html --threshold 'mqtt.lost == 0'").
# Exit code: the first shard's that could not run (2 bad input, 3 could not complete), else merge's.
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: $0 N OUT_DIR [run arguments...] (they must include --target)" >&2
  exit 2
fi
n=$1
out=$2
shift 2
case "$n" in '' | *[!0-9]* | 0) echo "$0: N must be a whole number of at least 1, not '$n'" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
bin="$here/../dist/src/cli/bin.js"
lead=${MQBENCH_REHEARSAL_LEAD:-5}
start=$(node -e "console.log(new Date(Date.now() + Number(process.argv[1]) * 1000).toISOString())" "$lead")
mkdir -p "$out"

pids=()
for i in $(seq 1 "$n"); do
  node "$bin" run "$@" --shard "$i/$n" --start-at "$start" --out "$out/shard-$i" >"$out/shard-$i.log" 2>&1 &
  pids+=("$!")
done

failed=0
for i in $(seq 1 "$n"); do
  rc=0
  wait "${pids[$((i - 1))]}" || rc=$?
  echo "shard $i/$n: exit $rc (log: $out/shard-$i.log)" >&2
  # 0 passed, 1 a gate failed on the shard's own view: both leave a result to merge.
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$failed" -eq 0 ]; then failed=$rc; fi
done
if [ "$failed" -ne 0 ]; then
  echo "$0: a shard could not run (exit $failed); see its log" >&2
  exit "$failed"
fi

# shellcheck disable=SC2086 # MQBENCH_MERGE_ARGS is split on purpose
eval "node \"\$bin\" merge \"\$out\"/shard-*/mqbench-*.json --out \"\$out/merged\" ${MQBENCH_MERGE_ARGS:-}"
