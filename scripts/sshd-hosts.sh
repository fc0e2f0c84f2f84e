#!/usr/bin/env bash
# Test hosts for the SSH executor: N sshd daemons on 127.0.0.1 (loopback only), each with its own port,
# host key, config, pid file and log, all trusting one client key generated here.
#
#   scripts/sshd-hosts.sh start N DIR     start host-1 … host-N; prints DIR/hosts.tsv (name, port, pid)
#   scripts/sshd-hosts.sh stop DIR        stop exactly the daemons listed in DIR/hosts.tsv (and their sessions)
#   scripts/sshd-hosts.sh kill DIR NAME   SIGKILL one host's daemon and its sessions (a host that dies)
#   scripts/sshd-hosts.sh revive DIR NAME start one stopped host again, same port and key
#   scripts/sshd-hosts.sh install         install openssh-server/client with apt-get when missing
#
# DIR gets: client_ed25519 (+ .pub), authorized_keys, known_hosts (every host's key), ssh_config (Host
# entries host-N with port, key and known_hosts), hosts.tsv, and hosts/<name>/ (sshd_config, host key, pid,
# log), and DIR/user: the account the hosts are logged into. As root that is a dedicated account
# 'waveline-host' (made when missing) whose shell is /bin/sh with no start-up files, so a command costs no
# login-script time (a .bashrc that initialises a language manager costs ~120 ms per command); otherwise the
# current user. Root login stays key-only (PermitRootLogin prohibit-password).
set -euo pipefail

FIRST_PORT=${SSHD_HOSTS_FIRST_PORT:-22220}
HOST_USER=waveline-host

die() { echo "sshd-hosts: $*" >&2; exit 1; }

sshd_path() {
    command -v sshd 2>/dev/null || { [ -x /usr/sbin/sshd ] && echo /usr/sbin/sshd; } || true
}

install_openssh() {
    if [ -n "$(sshd_path)" ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null; then
        return 0
    fi
    command -v apt-get >/dev/null || die "sshd/ssh are missing and apt-get is not available to install them"
    [ "$(id -u)" = 0 ] || die "sshd/ssh are missing; installing them needs root"
    echo "sshd-hosts: installing openssh-server and openssh-client" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends openssh-server openssh-client >&2
    [ -n "$(sshd_path)" ] || die "sshd is still missing after installing openssh-server"
}

# The account the hosts log into: a light /bin/sh account when we can make one, else ourselves.
host_user() {
    if [ "$(id -u)" = 0 ]; then
        if ! id "$HOST_USER" >/dev/null 2>&1; then
            useradd --system --create-home --home-dir "/var/lib/$HOST_USER" --shell /bin/sh "$HOST_USER" >&2 \
                || { id -un; return; }
        fi
        # No password, but not locked ('!'), which sshd without PAM refuses: '*' never matches a password.
        usermod -p '*' "$HOST_USER" >&2 || true
        echo "$HOST_USER"
    else
        id -un
    fi
}

# True when something accepts connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Every descendant of the given pids (children first found by walking ps's pid/ppid table).
descendants() {
    local table
    table=$(ps -e -o pid= -o ppid=)
    local frontier="$*" found=""
    while [ -n "$frontier" ]; do
        local next=""
        for parent in $frontier; do
            next+=" $(awk -v p="$parent" '$2 == p { print $1 }' <<<"$table")"
        done
        next=$(echo $next)
        found+=" $next"
        frontier=$next
    done
    echo $found
}

write_config() { # name port
    local name=$1 port=$2 hostdir="$DIR/hosts/$1"
    cat >"$hostdir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $hostdir/ssh_host_ed25519_key
PidFile $hostdir/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 100:30:200
MaxSessions 64
LogLevel INFO
EOF
}

# Starts one host's daemon; prints its pid, or fails (e.g. the port was taken meanwhile).
launch() { # name
    local hostdir="$DIR/hosts/$1"
    rm -f "$hostdir/sshd.pid"
    "$SSHD" -f "$hostdir/sshd_config" -E "$hostdir/sshd.log" || return 1
    for _ in $(seq 1 100); do
        [ -s "$hostdir/sshd.pid" ] && { cat "$hostdir/sshd.pid"; return 0; }
        sleep 0.02
    done
    return 1
}

start() {
    local count=$1
    [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -ge 1 ] || die "start needs a host count, got '$count'"
    install_openssh
    SSHD=$(sshd_path)
    mkdir -p "$DIR/hosts" /run/sshd
    chmod 755 /run/sshd 2>/dev/null || true
    [ -f "$DIR/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C waveline-test-client -f "$DIR/client_ed25519"
    cp "$DIR/client_ed25519.pub" "$DIR/authorized_keys"
    chmod 755 "$DIR"; chmod 644 "$DIR/authorized_keys"  # read by sshd as the hosts' account
    : >"$DIR/known_hosts"
    : >"$DIR/hosts.tsv"
    : >"$DIR/ssh_config"
    local user
    user=$(host_user)
    echo "$user" >"$DIR/user"
    local port=$FIRST_PORT
    for index in $(seq 1 "$count"); do
        local name="host-$index" hostdir="$DIR/hosts/host-$index" pid=""
        mkdir -p "$hostdir"
        [ -f "$hostdir/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$hostdir/ssh_host_ed25519_key"
        for _ in $(seq 1 200); do
            if ! port_busy "$port"; then
                write_config "$name" "$port"
                if pid=$(launch "$name"); then break; fi
                pid=""
            fi
            port=$((port + 1))
        done
        [ -n "$pid" ] || die "could not start $name (no free port from $FIRST_PORT on?), see $hostdir/sshd.log"
        printf '%s\t%s\t%s\n' "$name" "$port" "$pid" >>"$DIR/hosts.tsv"
        printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$hostdir/ssh_host_ed25519_key.pub")" >>"$DIR/known_hosts"
        cat >>"$DIR/ssh_config" <<EOF
Host $name
    HostName 127.0.0.1
    Port $port
    User $user
    IdentityFile $DIR/client_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $DIR/known_hosts
    StrictHostKeyChecking yes
    BatchMode yes
EOF
        port=$((port + 1))
    done
    cat "$DIR/hosts.tsv"
}

stop() {
    [ -f "$DIR/hosts.tsv" ] || return 0
    local pids
    pids=$(cut -f3 "$DIR/hosts.tsv" | tr '\n' ' ')
    [ -n "${pids// /}" ] || return 0
    local all="$pids $(descendants $pids)"
    kill -TERM $all 2>/dev/null || true
    for _ in $(seq 1 50); do
        local running=""
        for pid in $all; do alive "$pid" && running+=" $pid"; done
        [ -z "$running" ] && return 0
        sleep 0.05
    done
    kill -KILL $all 2>/dev/null || true
}

field() { # name column
    awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$DIR/hosts.tsv"
}

# True while process $1 runs. A killed daemon whose parent is init stays a zombie until init reaps it (on some
# machines init never does), and kill -0 still finds a zombie: it runs nothing, so it counts as gone.
alive() {
    kill -0 "$1" 2>/dev/null && ! grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"
}

kill_host() {
    local name=$1 pid
    pid=$(field "$name" 3)
    [ -n "$pid" ] || die "no host '$name' in $DIR/hosts.tsv"
    local all="$pid $(descendants "$pid")"
    kill -KILL $all 2>/dev/null || true
}

revive() {
    local name=$1 pid
    [ -n "$(field "$name" 2)" ] || die "no host '$name' in $DIR/hosts.tsv"
    alive "$(field "$name" 3)" && die "$name is still running"
    SSHD=$(sshd_path)
    mkdir -p /run/sshd
    pid=$(launch "$name") || die "could not restart $name, see $DIR/hosts/$name/sshd.log"
    awk -F'\t' -v OFS='\t' -v n="$name" -v p="$pid" '$1 == n { $3 = p } { print }' "$DIR/hosts.tsv" >"$DIR/hosts.tsv.new"
    mv "$DIR/hosts.tsv.new" "$DIR/hosts.tsv"
    echo "$pid"
}

command=${1:-}
case "$command" in
    install) install_openssh ;;
    start) [ $# -eq 3 ] || die "usage: $0 start N DIR"; DIR=$(realpath -m "$3"); start "$2" ;;
    stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; DIR=$(realpath -m "$2"); stop ;;
    kill) [ $# -eq 3 ] || die "usage: $0 kill DIR NAME"; DIR=$(realpath -m "$2"); kill_host "$3" ;;
    revive) [ $# -eq 3 ] || die "usage: $0 revive DIR NAME"; DIR=$(realpath -m "$2"); revive "$3" ;;
    *) die "usage: $0 start N DIR | stop DIR | kill DIR NAME | revive DIR NAME | install" ;;
esac
