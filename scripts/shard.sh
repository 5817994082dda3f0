#!/usr/bin/env bash
# One shard of a sharded nightly run, for any CI: `run --shard I/N --report-dir DIR`, then
# DIR/exit-code with the run's exit code whatever happened (no target, no CLI, a crash), so
# `metastudio-conformance merge` joins the shards that have results and names this one if
# it failed. Exits with the run's code.
#
# Usage: scripts/shard.sh I/N DIR [run options...]   (e.g. --seed "$RUN_ID")
# Target and credentials come from METASTUDIO_* as for `run`; METASTUDIO_CLI as for
# scripts/nightly.sh.
set -uo pipefail
if [ $# -lt 2 ]; then
  echo "usage: scripts/shard.sh I/N DIR [run options...]" >&2
  exit 2
fi
shard=$1 report_dir=$2
shift 2
cli=${METASTUDIO_CLI:-}
if [ -z "$cli" ]; then
  here=$(cd "$(dirname "$0")/.." && pwd)
  if [ -x "$here/.venv/bin/metastudio-conformance" ]; then
    cli=$here/.venv/bin/metastudio-conformance
  else
    cli=metastudio-conformance
  fi
fi

mkdir -p -- "$report_dir"
rm -f -- "$report_dir/exit-code"
echo "shard: $cli run --shard $shard --report-dir $report_dir $*"
"$cli" run --shard "$shard" --report-dir "$report_dir" "$@"
code=$?
echo "$code" > "$report_dir/exit-code"
echo "shard: $shard exited with $code"
exit "$code"
