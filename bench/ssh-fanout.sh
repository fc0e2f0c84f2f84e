#!/usr/bin/env bash
# Benchmark: SSH fan-out of the command `true` to N sshd hosts on loopback at parallelism 50, cold (no master
# connections) and warm (masters kept from the run before): Waveline (a deployment of a one-step operation,
# request → done) against `ansible all -m command -a true -f 50` (ansible-core, its defaults, ControlPersist),
# `parallel-ssh -p 50`, `xargs -P 50 ssh` with fresh connections (the handshake floor) and `xargs -P 50 ssh`
# over ControlMaster sockets (cold: masters made; warm: the floor with reuse). One table: wall time, CPU on the
# client side (the tool, its ssh processes and masters) and on the sshd side, peak RSS of the largest client
# process, and the ratio of each wall time to Waveline's of the same temperature.
#
# Usage: bench/ssh-fanout.sh [N ...]            (default: 50 200)
# Needs: sshd (scripts/sshd-hosts.sh installs it), python3; installs ansible-core (pip) and pssh (apt) if missing.
set -euo pipefail
# shellcheck source=auth.sh
source "$(dirname "$0")/auth.sh"
cd "$(dirname "$0")/.."
sizes=("${@:-50 200}")
[ $# -gt 0 ] || sizes=(50 200)
parallelism=50

if [ -z "${WAVELINE_BIN:-}" ]; then
    swift build -c release --product waveline --scratch-path .build-release >/dev/null
fi
bin="${WAVELINE_BIN:-$PWD/.build-release/release/waveline}"
command -v ansible >/dev/null || python3 -m pip install -q ansible-core >&2
command -v parallel-ssh >/dev/null || command -v pssh >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pssh; } >&2
pssh_bin=$(command -v parallel-ssh || command -v pssh)
ticks=$(getconf CLK_TCK)

work=$(mktemp -d /tmp/wl-bench.XXXXXX)
chmod 755 "$work"  # the hosts' account reads the authorized keys in there
hosts="$work/h"
cleanup() {
    kill "${server:-0}" 2>/dev/null || true
    close_masters "$work" || true
    scripts/sshd-hosts.sh stop "$hosts" || true
    rm -rf "$work"
}
trap cleanup EXIT

# CPU seconds of a process and its reaped children.
tree_cpu() { awk -v t="$ticks" '{print ($14 + $15 + $16 + $17) / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU seconds of the process alone (user + system), without its children.
own_cpu() { awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU seconds of every sshd of the test hosts: listeners (with their finished sessions) and live sessions.
sshd_cpu() {
    { for pid in $(cut -f3 "$hosts/hosts.tsv") $(pgrep -f "^sshd: $user" || true); do cat "/proc/$pid/stat" 2>/dev/null || true; done; } |
        awk -v t="$ticks" '{ s += $14 + $15 + $16 + $17 } END { print s / t + 0 }'
}
# CPU seconds of the live ssh masters whose command line holds $1 (masters are not anyone's child).
mux_cpu() { local s=0; for pid in $(pgrep -f -- "$1" || true); do s=$(echo "$s + $(awk -v t="$ticks" '{print ($14 + $15) / t}' "/proc/$pid/stat" 2>/dev/null || echo 0)" | bc -l); done; echo "$s"; }
close_masters() { # every control socket under $1
    { find "$1" "$HOME/.ansible/cp" -type s 2>/dev/null || true; } | while read -r socket; do
        ssh -o ControlPath="$socket" -O exit bench >/dev/null 2>&1 || true
    done
    sleep 0.5
}

# SSH_BENCH_TOOLS="waveline xargs" skips Ansible and parallel-ssh (for repeating the floors quickly).
tools=" ${SSH_BENCH_TOOLS:-waveline ansible pssh xargs} "
wants() { case "$tools" in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

rows=()
row() { rows+=("$(printf '%-5s %-34s %-5s %9s %11s %11s %10s' "$@")"); }

# Runs one external tool: label, temperature, master pattern, command...
measure() {
    local label=$1 temperature=$2 pattern=$3; shift 3
    local sshd0 mux0 start end sshd1 mux1 out
    sshd0=$(sshd_cpu); mux0=$(mux_cpu "$pattern")
    start=$(date +%s.%N)
    out=$( { /usr/bin/time -f '%U %S %M' "$@" >/dev/null 2>"$work/stderr"; } 2>&1 || true)
    end=$(date +%s.%N)
    out=$(tail -1 "$work/stderr")
    sshd1=$(sshd_cpu); mux1=$(mux_cpu "$pattern")
    local wall client rss
    wall=$(echo "$end - $start" | bc -l)
    client=$(echo "$(cut -d' ' -f1 <<<"$out") + $(cut -d' ' -f2 <<<"$out") + $mux1 - $mux0" | bc -l)
    rss=$(( $(cut -d' ' -f3 <<<"$out") / 1024 ))
    row "$n" "$label" "$temperature" "$(printf %.2f "$wall")" "$(printf %.2f "$client")" "$(printf %.2f "$(echo "$sshd1 - $sshd0" | bc -l)")" "${rss} MiB"
    echo "$wall"
}

for n in "${sizes[@]}"; do
    scripts/sshd-hosts.sh stop "$hosts" >/dev/null 2>&1 || true
    rm -rf "$hosts"
    scripts/sshd-hosts.sh start "$n" "$hosts" >/dev/null
    user=$(cat "$hosts/user")

    # --- Waveline ---
    mkdir -p "$work/wl/catalog" "$work/wl/strategies"
    {
        printf 'environments:\n  - {name: test}\nproducts:\n  - {name: app, owner: bench}\nclusters:\n'
        printf '  - name: fleet\n    product: app\n    environment: test\n    zones: [a]\n'
        printf '    connection: {type: ssh, host: 127.0.0.1, user: %s, identity_file: %s, known_hosts_file: %s}\n' \
            "$user" "$hosts/client_ed25519" "$hosts/known_hosts"
        printf '    nodes:\n'
        while IFS=$'\t' read -r name port _; do
            printf '      - {name: %s, zone: a, connection: {port: %s}}\n' "$name" "$port"
        done <"$hosts/hosts.tsv"
    } >"$work/wl/inventory.yaml"
    printf 'name: trivial\nidempotent: true\nsteps:\n  - {name: true, run: [true], timeout: 60s}\n' >"$work/wl/catalog/trivial.yaml"
    printf 'name: flat\nfailure_budget: 0\nphases:\n  - {name: all, size: rest, batch_size: 100%%, parallelism: %s}\n' "$parallelism" \
        >"$work/wl/strategies/flat.yaml"
    rm -rf "$work/wl/data"
    "$bin" serve --port 0 --data "$work/wl/data" --inventory "$work/wl/inventory.yaml" --catalog "$work/wl/catalog" \
        --strategies "$work/wl/strategies" --log-level error --ssh-keep-masters 120 >"$work/server.out" 2>&1 &
    server=$!
    for _ in $(seq 100); do grep -q "listening on" "$work/server.out" && break; sleep 0.1; done
    url=$(grep -o 'http://[0-9.:]*' "$work/server.out" | head -1)
    waveline_wall=()
    for temperature in cold warm; do
        sshd0=$(sshd_cpu); cpu0=$(tree_cpu "$server"); own0=$(own_cpu "$server"); mux0=$(mux_cpu "$work/wl/data/ssh")
        id=$("$bin" deploy trivial --cluster fleet --strategy flat --reason bench --server "$url" --json |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["id"])')
        while :; do
            s=$(curl -s -H "$auth_header" "$url/api/v1/deployments/$id" | python3 -c 'import json,sys; d=json.load(sys.stdin)["deployment"]; print(d["status"], d["createdAt"], d.get("finishedAt") or 0)')
            case "$s" in running*|queued*) sleep 0.05 ;; *) break ;; esac
        done
        read -r status created finished <<<"$s"
        if [ "$status" != succeeded ]; then
            echo "Waveline deployment $id is $status:" >&2
            curl -s -H "$auth_header" "$url/api/v1/deployments/$id" | python3 -c 'import json,sys; [print(" ", t["node"], t["failure"]["reason"]) for t in json.load(sys.stdin)["targets"] if t.get("failure")][:5]' >&2
            exit 1
        fi
        wall=$(echo "$finished - $created" | bc -l)
        client=$(echo "$(tree_cpu "$server") - $cpu0 + $(mux_cpu "$work/wl/data/ssh") - $mux0" | bc -l)
        rss=$(( $(awk '/VmHWM/ {print $2}' "/proc/$server/status") / 1024 ))
        row "$n" "waveline (deployment)" "$temperature" "$(printf %.2f "$wall")" "$(printf %.2f "$client")" \
            "$(printf %.2f "$(echo "$(sshd_cpu) - $sshd0" | bc -l)")" "${rss} MiB"
        waveline_wall+=("$wall")
        own=$(echo "($(own_cpu "$server") - $own0) * 1000 / $n" | bc -l | cut -c1-5)
        echo "waveline $temperature n=$n: ${wall}s, client side (server + its ssh processes) $(echo "$client * 1000 / $n" | bc -l | cut -c1-5) ms/host, Waveline's own $own ms/host" >&2
    done
    kill "$server"; wait "$server" 2>/dev/null || true
    close_masters "$work"

    # --- Ansible (its defaults: ControlMaster=auto, ControlPersist=60s under ~/.ansible/cp) ---
    if wants ansible; then
    {
        echo "[all]"
        while IFS=$'\t' read -r name port _; do
            echo "$name ansible_host=127.0.0.1 ansible_port=$port"
        done <"$hosts/hosts.tsv"
        echo "[all:vars]"
        echo "ansible_user=$user"
        echo "ansible_ssh_private_key_file=$hosts/client_ed25519"
        echo "ansible_ssh_common_args='-o UserKnownHostsFile=$hosts/known_hosts'"
    } >"$work/ansible.ini"
    export ANSIBLE_STDOUT_CALLBACK=oneline ANSIBLE_PYTHON_INTERPRETER=auto_silent
    for temperature in cold warm; do
        [ $temperature = cold ] && close_masters "$work"
        measure "ansible -m command -f 50" "$temperature" ".ansible/cp" \
            ansible all -i "$work/ansible.ini" -m command -a true -f $parallelism >&2
    done
    close_masters "$work"
    fi

    # --- parallel-ssh (no connection reuse: cold both times) ---
    if wants pssh; then
    cut -f1 "$hosts/hosts.tsv" >"$work/pssh-hosts"
    for temperature in cold warm; do
        measure "parallel-ssh -p 50" "$temperature" "$work/none" \
            "$pssh_bin" -h "$work/pssh-hosts" -p $parallelism -x "-F $hosts/ssh_config" true >&2
    done
    fi

    # --- xargs -P 50 ssh, fresh connections (the handshake floor) ---
    measure "xargs -P 50 ssh (fresh)" cold "$work/none" \
        sh -c "cut -f1 '$hosts/hosts.tsv' | xargs -P $parallelism -I{} ssh -F '$hosts/ssh_config' -o ControlPath=none {} true" >&2

    # --- xargs -P 50 ssh over ControlMaster sockets: cold makes the masters, warm reuses them ---
    mkdir -p "$work/cm"
    for temperature in cold warm; do
        measure "xargs -P 50 ssh (ControlMaster)" "$temperature" "$work/cm/" \
            sh -c "cut -f1 '$hosts/hosts.tsv' | xargs -P $parallelism -I{} ssh -F '$hosts/ssh_config' -o ControlMaster=auto -o 'ControlPath=$work/cm/%C' -o ControlPersist=120 {} true" >&2
    done
    close_masters "$work"
    rows+=("--- waveline wall (cold, warm) for N=$n: ${waveline_wall[*]}")
done

echo
echo "SSH fan-out of \`true\`, parallelism $parallelism, $(nproc) cores, $(ssh -V 2>&1)"
printf '%-5s %-34s %-5s %9s %11s %11s %10s %s\n' N tool temp "wall s" "client CPU" "sshd CPU" "peak RSS" "wall / waveline"
current_n=""
declare -A ref
for line in "${rows[@]}"; do
    if [[ "$line" == ---* ]]; then
        read -r -a parts <<<"${line##*: }"
        n_of=$(sed -E 's/.*N=([0-9]+).*/\1/' <<<"$line")
        ref[$n_of,cold]=${parts[0]}; ref[$n_of,warm]=${parts[1]}
    fi
done
for line in "${rows[@]}"; do
    [[ "$line" == ---* ]] && continue
    n_of=$(awk '{print $1}' <<<"$line")
    temp=$(awk '{print substr($0, 42, 5)}' <<<"$line" | tr -d ' ')
    wall=$(awk '{print substr($0, 48, 9)}' <<<"$line" | tr -d ' ')
    ratio=$(echo "$wall / ${ref[$n_of,$temp]}" | bc -l)
    printf '%s %8.2fx\n' "$line" "$ratio"
done
