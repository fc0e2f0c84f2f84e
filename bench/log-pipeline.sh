#!/usr/bin/env bash
# Benchmark (issue 4): log lines written durably while FOLLOWERS server-sent-event clients follow the same
# log, and the lag from write to delivery. One local node runs a step that prints LINES lines
# ("<n> <unix time> text") at RATE lines/s (0: as fast as the server reads them; bench/log-gen.c);
# bench/log-follow.c follows with FOLLOWERS clients in one process, bench/log-run.py drives and measures.
#   [LOG_FORMAT=batches|lines] bench/log-pipeline.sh [LINES] [FOLLOWERS] [RUNS] [RATE]   (defaults: 1000000 50 3 0)
# LOG_FORMAT: how the followers ask for the stream (`format=` of GET .../logs/stream; default batches, as the
# web UI and the CLI follow; `lines` is an event per line).
# WAVELINE_BIN: the release binary (default .build-release/release/waveline). Needs cc.
set -euo pipefail
# shellcheck source=auth.sh
source "$(dirname "$0")/auth.sh"
cd "$(dirname "$0")/.."
lines=${1:-1000000}
followers=${2:-50}
runs=${3:-3}
rate=${4:-0}
bin="${WAVELINE_BIN:-$PWD/.build-release/release/waveline}"
export LOG_FORMAT="${LOG_FORMAT:-batches}"
python=$(command -v /usr/bin/python3 || command -v python3)

work=$(mktemp -d /tmp/waveline-logbench.XXXXXX)
trap 'kill "${server:-0}" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
mkdir -p "$work/catalog" "$work/strategies"
# Compiled here, so that the harness costs the server's two cores little.
cc -O2 -o "$work/log-gen" bench/log-gen.c
cc -O2 -o "$work/log-follow" bench/log-follow.c
cat > "$work/inventory.yaml" <<'YAML'
environments:
  - {name: test}
products:
  - {name: app, owner: bench}
clusters:
  - name: pipe
    product: app
    environment: test
    zones: [a]
    nodes:
      - {name: pipe-1, zone: a}
YAML
cat > "$work/catalog/lines.yaml" <<YAML
name: lines
idempotent: true
parameters:
  - {name: count, type: string, required: true, pattern: '^[0-9]+\$'}
  - {name: rate, type: string, required: true, pattern: '^[0-9]+\$'}
steps:
  - {name: wait for followers, run: [sleep, "3"], timeout: 1m}
  - {name: print, run: [$work/log-gen, "{{count}}", "{{rate}}"], timeout: 10m}
YAML
cat > "$work/strategies/flat.yaml" <<'YAML'
name: flat
failure_budget: 0
phases:
  - {name: all, size: rest, batch_size: 100%, parallelism: 1}
YAML

"$bin" serve --port 0 --data "$work/data" --inventory "$work/inventory.yaml" --catalog "$work/catalog" \
    --strategies "$work/strategies" --log-level error > "$work/server.out" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.out" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/server.out" | head -1)

cpu_seconds() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
# The floor: the same program into a pipe, nothing else.
start=$(date +%s.%N)
"$work/log-gen" "$lines" "$rate" | cat > /dev/null
floor=$(python3 -c "print(f'{$lines / ($(date +%s.%N) - $start):,.0f}')")
echo "generator alone into a pipe: $floor lines/s"

for r in $(seq "$runs"); do
    before=$(cpu_seconds "$server")
    echo "--- run $r, format $LOG_FORMAT (load $(cut -d' ' -f1-3 /proc/loadavg))"
    "$python" bench/log-run.py "$url" "$bin" "$work/data" "$lines" "$followers" "$work/log-follow" "$rate" | tee "$work/run.out"
    grep '^summary ' "$work/run.out" >> "$work/summaries"
    echo "server CPU $(python3 -c "print(f'{$(cpu_seconds "$server") - $before:.1f}')") s; load after $(cut -d' ' -f1 /proc/loadavg)"
done
# Medians over the runs of the durable rate and the lag percentiles.
"$python" - "$work/summaries" <<'PY'
import statistics, sys
rows = [dict(kv.split("=") for kv in line.split()[1:]) for line in open(sys.argv[1])]
med = lambda k: statistics.median(float(r[k]) for r in rows)
print(f"median of {len(rows)} runs: durable {med('durable'):,.0f} lines/s; lag p50 {med('p50_ms'):.0f} ms, "
      f"p99 {med('p99_ms'):.0f} ms, max {med('max_ms'):.0f} ms")
PY
echo "server peak RSS $(awk '/VmHWM/ {printf "%d MiB", $2 / 1024}' /proc/$server/status)"
