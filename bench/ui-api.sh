#!/usr/bin/env bash
# Benchmark (issue 4): the summary page `/` and `GET /api/v1/deployments` with wrk on loopback, against a
# store filled by bench-fill (Sources/BenchFill). Prints p50/p99 latency and requests/s per run, the load average, and
# the medians over the runs.
#   bench/ui-api.sh DIR [RUNS] [DURATION] [CONNECTIONS]     (defaults: 3 runs, 20s, 32 connections, 2 threads)
# WAVELINE_BIN: the release binary (default .build-release/release/waveline).
set -euo pipefail
# shellcheck source=auth.sh
source "$(dirname "$0")/auth.sh"
cd "$(dirname "$0")/.."
dir=${1:?usage: bench/ui-api.sh DIR [RUNS] [DURATION] [CONNECTIONS]}
runs=${2:-3}
duration=${3:-20s}
connections=${4:-32}
bin="${WAVELINE_BIN:-$PWD/.build-release/release/waveline}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[ -f "$dir/data/waveline.sqlite" ] || { echo "no store in $dir: run .build-release/release/bench-fill $dir first (docs/benchmarks.md)" >&2; exit 1; }

out=$(mktemp /tmp/waveline-ui-api.XXXXXX)
# The server is waited for: the next run on the same data folder would find it still locked.
trap 'kill "${server:-0}" 2>/dev/null && wait "${server:-0}" 2>/dev/null; rm -f "$out"' EXIT
"$bin" serve --port 0 --data "$dir/data" --inventory "$dir/inventory.yaml" --catalog "$dir/catalog" \
    --strategies "$dir/strategies" --log-level error > "$out" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q "listening on" "$out" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$out" | head -1)
[ -n "$url" ] || { cat "$out" >&2; exit 1; }

# The page must be the real thing, not an error page.
page=$(curl -sf -H "$auth_header" "$url/"); grep -q 'deployment-card' <<<"$page" || { echo "summary page has no deployments" >&2; exit 1; }
curl -sf -H "$auth_header" "$url/api/v1/deployments" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["deployments"], d'

# wrk --latency prints "50%  12.34ms" lines; normalize to milliseconds.
ms() { awk -v p="$1" '$1 == p { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.1f", v }'; }
median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.1f}")' "$@"; }

printf '%-26s %4s %9s %9s %9s %8s  %s\n' target run "p50 ms" "p99 ms" "req/s" errors "load (1 min)"
for target in "/" "/api/v1/deployments"; do
    # Warm-up: the page cache and the server's first requests.
    wrk -H "$auth_header" -t2 -c8 -d3s "$url$target" >/dev/null
    p50s=(); p99s=(); rates=()
    for r in $(seq "$runs"); do
        result=$(wrk -H "$auth_header" -t2 -c"$connections" -d"$duration" --timeout 10s --latency "$url$target")
        p50=$(ms 50% <<<"$result"); p99=$(ms 99% <<<"$result")
        rate=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$result")
        errors=$(awk '/Non-2xx|Socket errors/ {e = e $0 "; "} END {print (e == "" ? 0 : e)}' <<<"$result")
        load=$(cut -d' ' -f1 /proc/loadavg)
        printf '%-26s %4s %9s %9s %9s %8s  %s\n' "$target" "$r" "$p50" "$p99" "$rate" "$errors" "$load"
        p50s+=("$p50"); p99s+=("$p99"); rates+=("$rate")
    done
    printf '%-26s %4s %9s %9s %9s\n' "$target" median "$(median "${p50s[@]}")" "$(median "${p99s[@]}")" "$(median "${rates[@]}")"
done
echo "wrk -H "$auth_header" -t2 -c$connections -d$duration --timeout 10s --latency; server RSS $(awk '/VmHWM/ {printf "%d MiB", $2 / 1024}' /proc/$server/status)"
