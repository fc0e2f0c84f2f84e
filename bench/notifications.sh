#!/usr/bin/env bash
# Benchmark of issue 12's delivery (a script, not a test).
#
# (a) Storm: DEPLOYMENTS deployments requested at once, each of one operation on NODES local nodes in NODES phases
#     of one node (about 2 × NODES + 2 events each: created, a phase started and finished per node, the outcome),
#     all routed to one Slack channel of a local stand-in (bench/fake-slack.py) that records when each call
#     arrives. Checks and prints: the most messages that arrived in any 1 s window on the channel (Slack allows
#     1/s), that every Slack delivery of every deployment's outbox was sent exactly once and in order (the
#     deployment's notifications API against the stand-in's records), and the time until everything arrived.
# (b) Local fan-out, notifications on vs off: the deployment of bench/local-fanout.sh (FANOUT_NODES trivial steps,
#     parallelism 50) on two servers started side by side, one with `--integrations` (and the stand-in) and one
#     without, alternating off/on RUNS times in this one run; medians, spreads and the ratio on/off.
#
# Usage: bench/notifications.sh [DEPLOYMENTS] [NODES] [FANOUT_NODES] [RUNS]   (defaults 100 24 1000 5)
#        BENCH_PARTS="storm fanout" selects the parts; WAVELINE_BIN reuses a binary (else a release build).
set -euo pipefail
# shellcheck source=auth.sh
source "$(dirname "$0")/auth.sh"
cd "$(dirname "$0")/.."
deployments=${1:-100}
nodes=${2:-24}
fanout_nodes=${3:-1000}
runs=${4:-5}
parts=${BENCH_PARTS:-storm fanout}
storm_failed=0

if [ -z "${WAVELINE_BIN:-}" ]; then
    swift build -c release --product waveline --scratch-path .build-release >/dev/null
fi
bin="${WAVELINE_BIN:-$PWD/.build-release/release/waveline}"
bench=$PWD/bench

work=$(mktemp -d /tmp/waveline-notify-bench.XXXXXX)
# Started in $(...) subshells too, so their ids go to a file.
trap 'while read -r p; do kill "$p" 2>/dev/null || true; done < "$work/pids"; sleep 1; rm -rf "$work" 2>/dev/null || true' EXIT
: > "$work/pids"
export WAVELINE_BENCH_SLACK_TOKEN=xoxb-bench-not-a-secret
export WAVELINE_BENCH_SLACK_SIGNING=bench-signing-secret-not-a-secret

# A fake Slack; echoes its base URL.
start_fake_slack() { # NAME
    python3 "$bench/fake-slack.py" "$work/$1.port" > "$work/$1.log" 2>&1 &
    echo $! >> "$work/pids"
    for _ in $(seq 100); do [ -s "$work/$1.port" ] && break; sleep 0.1; done
    echo "http://127.0.0.1:$(cat "$work/$1.port")"
}

write_integrations() { # FILE SLACK_URL
    cat > "$1" <<YAML
public_url: http://waveline.bench.invalid
slack:
  bot_token: env:WAVELINE_BENCH_SLACK_TOKEN
  signing_secret: env:WAVELINE_BENCH_SLACK_SIGNING
  api_url: $2/api
  channels:
    default: C0BENCH01
YAML
}

# Starts a server; echoes its URL. Extra arguments go to `serve`.
start_server() { # DIR INVENTORY [ARGS...]
    local dir=$1 inventory=$2
    shift 2
    "$bin" serve --port 0 --data "$dir/data" --inventory "$inventory" --catalog "$work/catalog" \
        --strategies "$work/strategies" --log-level error "$@" > "$dir/server.out" 2>&1 &
    echo $! >> "$work/pids"
    echo $! > "$dir/server.pid"
    for _ in $(seq 200); do grep -q "listening on" "$dir/server.out" && break; sleep 0.1; done
    grep -q "listening on" "$dir/server.out" || { echo "the server did not start:" >&2; cat "$dir/server.out" >&2; return 1; }
    grep -o 'http://[0-9.:]*' "$dir/server.out" | head -1
}

mkdir -p "$work/catalog" "$work/strategies"
cat > "$work/catalog/trivial.yaml" <<'YAML'
name: trivial
idempotent: true
steps:
  - {name: true, run: [/bin/true], timeout: 30s}
YAML
python3 - "$work" "$deployments" "$nodes" "$fanout_nodes" <<'PY'
import sys
work, deployments, nodes, fanout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
with open(f"{work}/storm-inventory.yaml", "w") as f:
    f.write("environments:\n  - {name: test}\nproducts:\n  - {name: app, owner: bench}\nclusters:\n")
    for d in range(1, deployments + 1):
        f.write(f"  - name: c{d}\n    product: app\n    environment: test\n    zones: [a]\n    nodes:\n")
        for i in range(1, nodes + 1):
            f.write(f"      - {{name: c{d}n{i}, zone: a}}\n")
with open(f"{work}/fanout-inventory.yaml", "w") as f:
    f.write("environments:\n  - {name: test}\nproducts:\n  - {name: app, owner: bench}\nclusters:\n")
    f.write("  - name: fleet\n    product: app\n    environment: test\n    zones: [a]\n    nodes:\n")
    for i in range(1, fanout + 1):
        f.write(f"      - {{name: n{i}, zone: a}}\n")
with open(f"{work}/strategies/node-by-node.yaml", "w") as f:
    f.write("name: node-by-node\nfailure_budget: 0\nphases:\n")
    for i in range(1, nodes + 1):
        f.write(f"  - {{name: p{i}, size: 1, parallelism: 1}}\n" if i < nodes else f"  - {{name: p{i}, size: rest, parallelism: 1}}\n")
with open(f"{work}/strategies/flat.yaml", "w") as f:
    f.write("name: flat\nfailure_budget: 0\nphases:\n  - {name: all, size: rest, batch_size: 100%, parallelism: 50}\n")
PY

# ---------------------------------------------------------------------------------------------------------------
if [[ " $parts " == *" storm "* ]]; then
    mkdir -p "$work/storm"
    slack=$(start_fake_slack storm-slack)
    write_integrations "$work/storm/integrations.yaml" "$slack"
    url=$(start_server "$work/storm" "$work/storm-inventory.yaml" --integrations "$work/storm/integrations.yaml")
    echo "(a) $deployments deployments × $nodes nodes (one node per phase), one Slack channel; cores=$(nproc) load=$(cut -d' ' -f1 /proc/loadavg)"
    start=$(date +%s.%N)
    mkdir -p "$work/storm/requests"
    export bin url work
    seq "$deployments" | xargs -P "$deployments" -I{} sh -c '"$bin" deploy trivial --cluster c{} --strategy node-by-node \
        --reason bench --server "$url" --json > "$work/storm/requests/{}.json"'
    python3 "$bench/notifications-check.py" "$url" "$slack" "$start" "$work/storm/requests" "$(cat "$work/storm/server.pid")" ||
        storm_failed=1
    kill "$(cat "$work/storm/server.pid")" 2>/dev/null || true

    # The same storm without notifications: how long the deployments themselves take.
    mkdir -p "$work/storm-off/requests"
    url=$(start_server "$work/storm-off" "$work/storm-inventory.yaml")
    start=$(date +%s.%N)
    seq "$deployments" | xargs -P "$deployments" -I{} sh -c '"$bin" deploy trivial --cluster c{} --strategy node-by-node \
        --reason bench --server "$url" --json > "$work/storm-off/requests/{}.json"'
    python3 - "$url" "$start" "$work/storm-off/requests" "$(cat "$work/storm-off/server.pid")" <<'PY'
import json, os, sys, time, urllib.request
url, start, folder, pid = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
ids = [json.load(open(os.path.join(folder, n)))["deployment"]["id"] for n in os.listdir(folder)]
def status(i):
    request = urllib.request.Request(f"{url}/api/v1/deployments/{i}", headers={"Authorization": "Bearer " + os.environ["WAVELINE_TOKEN"]})
    return json.load(urllib.request.urlopen(request))["deployment"]
while True:
    details = [status(i) for i in ids]
    if all(d["status"] not in ("running", "queued", "pending_approval") for d in details):
        break
    time.sleep(0.5)
fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
done = max(d.get("finishedAt") or 0 for d in details) - start
print(f"the same storm without notifications: last deployment over {done:.1f} s, all "
      f"{'/'.join(sorted({d['status'] for d in details}))}; server CPU until then {cpu:.1f} s")
PY
    kill "$(cat "$work/storm-off/server.pid")" 2>/dev/null || true
fi

# ---------------------------------------------------------------------------------------------------------------
if [[ " $parts " == *" fanout "* ]]; then
    mkdir -p "$work/off" "$work/on"
    slack=$(start_fake_slack fanout-slack)
    write_integrations "$work/on/integrations.yaml" "$slack"
    off_url=$(start_server "$work/off" "$work/fanout-inventory.yaml")
    on_url=$(start_server "$work/on" "$work/fanout-inventory.yaml" --integrations "$work/on/integrations.yaml")
    cpu_seconds() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
    deploy() { # URL
        "$bin" deploy trivial --cluster fleet --strategy flat --reason bench --server "$1" --json |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["id"])'
    }
    wait_done() { # URL ID
        while :; do
            s=$(curl -s -H "$auth_header" "$1/api/v1/deployments/$2" | python3 -c 'import json,sys; d=json.load(sys.stdin)["deployment"]; print(d["status"], d["createdAt"], d.get("finishedAt") or 0)')
            case "$s" in running*|queued*) sleep 0.05 ;; *) echo "$s"; return ;; esac
        done
    }
    # Warm-ups create the node directories, as a real fleet already has them.
    wait_done "$off_url" "$(deploy "$off_url")" >/dev/null
    wait_done "$on_url" "$(deploy "$on_url")" >/dev/null
    sleep 2   # the warm-up's notifications are delivered before the first measured run
    echo
    echo "(b) local fan-out, $fanout_nodes nodes, parallelism 50, notifications off/on alternating; cores=$(nproc) load=$(cut -d' ' -f1 /proc/loadavg)"
    printf '%-22s %10s %12s %8s\n' "run" "wall (s)" "cpu/node" "load"
    off_walls=(); on_walls=(); off_cpu=(); on_cpu=()
    for r in $(seq "$runs"); do
        for variant in off on; do
            u=$off_url; [ $variant = on ] && u=$on_url
            pid=$(cat "$work/$variant/server.pid")
            before=$(cpu_seconds "$pid")
            read -r status created finished <<<"$(wait_done "$u" "$(deploy "$u")")"
            after=$(cpu_seconds "$pid")
            [ "$status" = succeeded ] || { echo "deployment ended $status" >&2; exit 1; }
            wall=$(python3 -c "print(f'{$finished - $created:.3f}')")
            cpu=$(python3 -c "print(f'{($after - $before) / $fanout_nodes * 1000:.2f}')")
            if [ $variant = on ]; then on_walls+=("$wall"); on_cpu+=("$cpu"); else off_walls+=("$wall"); off_cpu+=("$cpu"); fi
            printf '%-22s %10s %9s ms %8s\n' "notifications $variant #$r" "$wall" "$cpu" "$(cut -d' ' -f1 /proc/loadavg)"
            sleep 1   # the on-server's parent update and outcome reply go out between runs, as in real use
        done
    done
    median() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
    spread() { printf '%s\n' "$@" | sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {print lo "–" hi}'; }
    off_m=$(median "${off_walls[@]}"); on_m=$(median "${on_walls[@]}")
    echo
    echo "off: median ${off_m}s (spread $(spread "${off_walls[@]}") s), cpu/node median $(median "${off_cpu[@]}") ms"
    echo "on:  median ${on_m}s (spread $(spread "${on_walls[@]}") s), cpu/node median $(median "${on_cpu[@]}") ms"
    echo "ratio on/off (medians): $(python3 -c "print(f'{$on_m / $off_m:.2f}x')")   goal ≤ 1.10x"
    curl -s -H "$auth_header" "$on_url/api/v1/deployments?limit=1" > /dev/null
    python3 - "$slack" <<'PY'
import json, sys, urllib.request
records = json.load(urllib.request.urlopen(sys.argv[1] + "/_bench/records"))["records"]
posts = sum(1 for r in records if r["method"] == "chat.postMessage")
updates = sum(1 for r in records if r["method"] == "chat.update")
print(f"on-server's Slack calls over all runs: {posts} chat.postMessage, {updates} chat.update")
PY
fi
# A failed check of the storm fails the script, after the fan-out figures.
exit "$storm_failed"
