#!/usr/bin/env bash
# Nightly conformance run, for any CI: run the suite, build the reports (keeping the Allure
# history between nights), copy them to a publish folder, and exit with the run's code, so
# conformance failures fail the job only after the reports exist. A run that ends with 2, 3
# or 4 is published too: its pages say what went wrong (the run's line, code and time).
#
# Target and credentials come from the environment, as for `metastudio-conformance run`:
#   METASTUDIO_TARGET, METASTUDIO_PROJECT_ID, METASTUDIO_AK + METASTUDIO_SK or METASTUDIO_TOKEN
#   (no METASTUDIO_TARGET: the bundled reference server is tested).
# Where things go:
#   NIGHTLY_REPORT_DIR   the run's report folder           (default conformance-reports/latest)
#   NIGHTLY_HISTORY      Allure history kept between runs  (default conformance-reports/history/allure-history.jsonl)
#   NIGHTLY_PUBLISH_DIR  folder to publish                 (default conformance-reports/site)
#   NIGHTLY_RUN_ID       the night's one point in the history (default GITHUB_RUN_ID, which
#                        a re-run attempt keeps; else the run's own id): building the report
#                        again, or re-running the attempt, replaces that point
#   METASTUDIO_CLI       the CLI to use  (default .venv/bin/metastudio-conformance, else PATH)
#   NIGHTLY_SHARDS_DIR   a folder of shards' report folders (`run --shard i/N`): merge them
#                        (`metastudio-conformance merge`) instead of running the suite
# Arguments are passed to `run`, e.g. scripts/nightly.sh --max-examples 100.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

report_dir=${NIGHTLY_REPORT_DIR:-conformance-reports/latest}
history=${NIGHTLY_HISTORY:-conformance-reports/history/allure-history.jsonl}
publish=${NIGHTLY_PUBLISH_DIR:-conformance-reports/site}
run_key=${NIGHTLY_RUN_ID:-${GITHUB_RUN_ID:-}}
cli=${METASTUDIO_CLI:-}
if [ -z "$cli" ]; then
  if [ -x .venv/bin/metastudio-conformance ]; then
    cli=.venv/bin/metastudio-conformance
  else
    cli=metastudio-conformance
  fi
fi

# A run must never reuse an earlier night's results, or a broken run would republish them.
for old in results.json conformance.md conformance.html junit.xml html allure-results; do
  rm -rf -- "${report_dir:?}/$old"
done

# The run's stderr goes to the console and to a log, whose last line of the CLI's own says
# why a run ended badly (the run masks its secrets; `report` masks them again).
run_log=$(mktemp) || exit 2
trap 'rm -f -- "$run_log"' EXIT
if [ -n "${NIGHTLY_SHARDS_DIR:-}" ]; then
  echo "nightly: $cli merge $NIGHTLY_SHARDS_DIR/*/ --report-dir $report_dir"
  set -- merge "$NIGHTLY_SHARDS_DIR"/*/ --report-dir "$report_dir"
else
  echo "nightly: $cli run --report-dir $report_dir $*"
  set -- run --report-dir "$report_dir" "$@"
fi
{ "$cli" "$@" 2>&1 1>&3 3>&- | tee -- "$run_log" >&2; run_code=${PIPESTATUS[0]}; } 3>&1
ended=$(date -u +%Y-%m-%dT%H:%M:%SZ)
run_line=$(grep -E '^metastudio-conformance( merge)?: ' "$run_log" | tail -n 1)
echo "nightly: run exited with $run_code"

"$cli" report --report-dir "$report_dir" --history "$history" --out "$report_dir/html" \
  --exit-code "$run_code" --ended "$ended" --exit-line="$run_line" \
  ${run_key:+--run-id "$run_key"}
report_code=$?

# Last night's pages go first: a night that wrote none must not show the one before.
mkdir -p -- "$publish"
rm -f -- "$publish/index.html" "$publish/conformance.html" "$publish/conformance.md" \
  "$publish/results.json"
published=0
for file in html/index.html:index.html conformance.html:conformance.html \
            conformance.md:conformance.md results.json:results.json; do
  source_file="$report_dir/${file%%:*}"
  if [ -f "$source_file" ]; then
    cp -- "$source_file" "$publish/${file##*:}"
    published=$((published + 1))
  fi
done
if [ ! -f "$report_dir/html/index.html" ]; then
  echo "nightly: warning: no Allure HTML report to publish (see the messages above)" >&2
fi
echo "nightly: published $published file(s) to $publish"

# The run's code decides; a passing run whose reports could not be written still fails.
if [ "$run_code" -eq 0 ] && [ "$report_code" -ne 0 ]; then
  exit "$report_code"
fi
exit "$run_code"
