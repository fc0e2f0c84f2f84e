#!/usr/bin/env bash
# Property-based run of the API contract (openapi/waveline.yaml) against a live server: schemathesis with every
# check (undocumented statuses, schema-violating answers, schema-valid requests refused, invalid ones accepted,
# routes that answer without credentials, server errors). Exits non-zero on any failure, or when the server dies.
#
#   scripts/api-fuzz.sh                      the binary at .build/debug/waveline (or WAVELINE_BIN)
#   API_FUZZ_EXAMPLES=200 scripts/api-fuzz.sh  more cases per operation (default 40)
#   API_FUZZ_SEED=random scripts/api-fuzz.sh   a new seed (CI uses a fixed one, so a red run replays exactly)
#
# Installs schemathesis with pip when missing. The server gets a throw-away data folder and a small inventory.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"

bin="${WAVELINE_BIN:-$repo/.build/debug/waveline}"
examples="${API_FUZZ_EXAMPLES:-40}"
seed="${API_FUZZ_SEED:-20261205}"
[ -x "$bin" ] || { echo "api-fuzz: no waveline binary at $bin (swift build first)" >&2; exit 1; }

if ! python3 -c 'import schemathesis' 2>/dev/null; then
    python3 -m pip install --quiet "schemathesis==4.32.5" 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages "schemathesis==4.32.5"
fi
# Its command line through the interpreter that has it, not the `st` script: a fresh install's script may not
# be on PATH yet (pyenv's shims appear only after a rehash).
st() { python3 -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "st"; sys.exit(schemathesis())' "$@"; }

work="$(mktemp -d -t waveline-api-fuzz.XXXXXXXX)"
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/inventory.yaml" <<'EOF'
environments:
  - {name: test}
  - {name: prod, protected: true}
products:
  - {name: kafka, owner: streaming}
clusters:
  - name: kafka-test
    product: kafka
    environment: test
    zones: [zone-a, zone-b]
    nodes:
      - {name: kt1, zone: zone-a}
      - {name: kt2, zone: zone-b}
  - name: kafka-prod
    product: kafka
    environment: prod
    zones: [zone-a, zone-b]
    nodes:
      - {name: kp1, zone: zone-a}
      - {name: kp2, zone: zone-b}
EOF

token="wl_$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export WAVELINE_INITIAL_ADMIN_PASSWORD="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export WAVELINE_INITIAL_ADMIN_TOKEN="$token"
: > "$work/server.log"   # made before the server starts, so the loop below can read it at once
"$bin" serve --data "$work/data" --inventory "$work/inventory.yaml" --catalog "$repo/catalog" --port 0 \
    --log-level warning > "$work/server.log" 2>&1 &
server=$!
url=""
for _ in $(seq 1 200); do
    url="$(sed -n 's/^Waveline listening on \(http:[^ ]*\).*/\1/p' "$work/server.log" | head -1 || true)"
    [ -n "$url" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; echo "api-fuzz: the server did not start" >&2; exit 1; }
    sleep 0.1
done
[ -n "$url" ] || { echo "api-fuzz: the server did not say where it listens" >&2; exit 1; }

# One run over every operation but those that end the caller's own credential (a revoked token would turn the
# rest of the run into 401s); a second run over those, with a credential of their own.
run() {
    # Run from the scratch folder: schemathesis keeps a cache in the working directory.
    local name="$1"; shift
    echo "api-fuzz: $name (seed $seed, $examples cases per operation) against $url"
    local seeding=(--seed "$seed")
    [ "$seed" = random ] && seeding=()
    (cd "$work" && st --config-file "$repo/scripts/api-fuzz.toml" run "$repo/openapi/waveline.yaml" --url "$url" --checks all --max-examples "$examples" \
        "${seeding[@]}" --workers 1 --no-color "$@")
}
# Made before the run: the run's failed sign-ins may throttle this address's password checks.
second="$(curl -sf -u "admin:$WAVELINE_INITIAL_ADMIN_PASSWORD" -H 'Content-Type: application/json' \
    -d '{"name":"fuzz-revocations","expiresInDays":1}' "$url/api/v1/tokens" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
status=0
run "every operation" -H "Authorization: Bearer $token" \
    --exclude-operation-id revokeToken --exclude-operation-id signOut || status=1
run "credential-ending operations" -H "Authorization: Bearer $second" \
    --include-operation-id revokeToken --include-operation-id signOut || status=1

if ! kill -0 "$server" 2>/dev/null; then
    echo "api-fuzz: the server died during the run" >&2
    tail -40 "$work/server.log" >&2
    exit 1
fi
exit "$status"
