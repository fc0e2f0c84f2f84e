#!/usr/bin/env bash
# Benchmark: a 1,000-node local deployment of a trivial step at parallelism 50, against the same 1,000 runs
# of the same command through `xargs -P 50` (the floor). Prints wall time, server CPU per node, peak RSS and
# the ratio to the floor. Usage: bench/local-fanout.sh [NODES] [PARALLELISM] [RUNS]
set -euo pipefail
# shellcheck source=auth.sh
source "$(dirname "$0")/auth.sh"
cd "$(dirname "$0")/.."
nodes=${1:-1000}
parallelism=${2:-50}
runs=${3:-3}

# A release build, in its own folder so it never fights a debug build for the lock (or WAVELINE_BIN).
if [ -z "${WAVELINE_BIN:-}" ]; then
    swift build -c release --product waveline --scratch-path .build-release >/dev/null
fi
bin="${WAVELINE_BIN:-$PWD/.build-release/release/waveline}"

work=$(mktemp -d /tmp/waveline-bench.XXXXXX)
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/catalog" "$work/strategies"
python3 - "$work" "$nodes" <<'PY'
import sys
work, n = sys.argv[1], int(sys.argv[2])
with open(f"{work}/inventory.yaml", "w") as f:
    f.write("environments:\n  - {name: test}\nproducts:\n  - {name: app, owner: bench}\nclusters:\n")
    f.write("  - name: fleet\n    product: app\n    environment: test\n    zones: [a]\n    nodes:\n")
    for i in range(1, n + 1):
        f.write(f"      - {{name: n{i}, zone: a}}\n")
PY
cat > "$work/catalog/trivial.yaml" <<'YAML'
name: trivial
idempotent: true
steps:
  - {name: true, run: [/bin/true], timeout: 30s}
YAML
cat > "$work/strategies/flat.yaml" <<YAML
name: flat
failure_budget: 0
phases:
  - {name: all, size: rest, batch_size: 100%, parallelism: $parallelism}
YAML

"$bin" serve --port 0 --data "$work/data" --inventory "$work/inventory.yaml" --catalog "$work/catalog" \
    --strategies "$work/strategies" --log-level error > "$work/server.out" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.out" && break; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/server.out" | head -1)

cpu_seconds() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }

# One warm-up deployment creates the node directories, as a real fleet already has them.
deploy() {
    "$bin" deploy trivial --cluster fleet --strategy flat --reason bench --server "$url" --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["id"])'
}
wait_done() {
    while :; do
        s=$(curl -s -H "$auth_header" "$url/api/v1/deployments/$1" | python3 -c 'import json,sys; d=json.load(sys.stdin)["deployment"]; print(d["status"], d["createdAt"], d.get("finishedAt") or 0)')
        case "$s" in running*|queued*) sleep 0.05 ;; *) echo "$s"; return ;; esac
    done
}
wait_done "$(deploy)" >/dev/null

printf '%-34s %10s %10s\n' "run" "wall (s)" "cpu/node"
waveline_walls=()
for r in $(seq "$runs"); do
    before=$(cpu_seconds "$server")
    read -r status created finished <<<"$(wait_done "$(deploy)")"
    after=$(cpu_seconds "$server")
    [ "$status" = succeeded ] || { echo "deployment ended $status" >&2; exit 1; }
    wall=$(python3 -c "print(f'{$finished - $created:.3f}')")
    per=$(python3 -c "print(f'{($after - $before) / $nodes * 1000:.2f} ms')")
    waveline_walls+=("$wall")
    printf '%-34s %10s %10s\n' "waveline #$r (request → done)" "$wall" "$per"
done
rss=$(awk '/VmHWM/ {print $2 / 1024 " MiB"}' "/proc/$server/status")

floor_walls=()
for r in $(seq "$runs"); do
    start=$(date +%s.%N)
    seq "$nodes" | xargs -P "$parallelism" -I{} /bin/true
    end=$(date +%s.%N)
    wall=$(python3 -c "print(f'{$end - $start:.3f}')")
    floor_walls+=("$wall")
    printf '%-34s %10s\n' "xargs -P $parallelism #$r" "$wall"
done

best() { printf '%s\n' "$@" | sort -n | head -1; }
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
w=$(best "${waveline_walls[@]}"); f=$(best "${floor_walls[@]}")
wm=$(median "${waveline_walls[@]}"); fm=$(median "${floor_walls[@]}")
echo
echo "nodes=$nodes parallelism=$parallelism cores=$(nproc) load=$(cut -d' ' -f1 /proc/loadavg)"
echo "best:   waveline ${w}s   xargs floor ${f}s   ratio $(python3 -c "print(f'{$w / $f:.2f}x')")"
echo "median: waveline ${wm}s   xargs floor ${fm}s   ratio $(python3 -c "print(f'{$wm / $fm:.2f}x')")"
echo "waveline server peak RSS: $rss"
