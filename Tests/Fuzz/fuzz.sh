#!/usr/bin/env bash
# Runs every libFuzzer harness for FUZZ_SECONDS (default 60) from its committed seed corpus.
# Corpus growth and crash inputs go to .build/fuzz/ (never into the committed seeds); a crash input
# becomes a regression test by copying it into the matching test fixture folder.
#   Tests/Fuzz/fuzz.sh [harness…]      (after `make fuzz` has built the harnesses once; FUZZ_TIMEOUT s per input, 120)
set -uo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-60}
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(FuzzNPY FuzzLabels FuzzSettingsJSON FuzzMarshal FuzzKerasConfig FuzzVideo FuzzONNX FuzzTransforms)
export FUZZ_KERAS_FIXTURES=$PWD/../Fixtures/keras
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1
work=.build/fuzz
mkdir -p "$work/crashes"
failed=0
printf '%-18s %8s %12s %10s %8s %s\n' harness seconds executions exec/s cov result
for harness in "${harnesses[@]}"; do
    corpus=$work/corpus/$harness
    mkdir -p "$corpus"
    cp -n Corpus/$harness/* "$corpus"/ 2>/dev/null
    log=$work/$harness.log
    max_len=65536; [ "$harness" = FuzzVideo ] || max_len=16384
    .build/debug/$harness "$corpus" -max_total_time="$seconds" -max_len=$max_len -timeout=${FUZZ_TIMEOUT:-120} -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="$work/crashes/$harness-" > "$log" 2>&1
    status=$?
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
    coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    result=ok
    if [ $status -ne 0 ]; then result="CRASH (see $log)"; failed=1; fi
    printf '%-18s %8s %12s %10s %8s %s\n' "$harness" "$seconds" "${executions:-?}" "${rate:-?}" "${coverage:-?}" "$result"
done
exit $failed
