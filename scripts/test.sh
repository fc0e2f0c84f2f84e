#!/usr/bin/env bash
# Runs every test: builds the package (the CLI binary too, which the end-to-end tests start as a real
# server process), then the whole suite. Used by CI (.ci/run) and by people, from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tests need the Swift toolchain and a POSIX shell (SQLite is built into the package), plus OpenSSH for the
# SSH executor's end-to-end tests, which start sshd hosts on loopback: installed here with apt-get when missing
# (CI starts on a machine with only the toolchain). Without it those suites are skipped, saying why, except on CI
# (CI=true), where a part that cannot be installed fails the run instead of hiding behind skipped tests.
if ! scripts/sshd-hosts.sh install; then
    [ "${CI:-}" = true ] && { echo "error: OpenSSH could not be installed; CI does not skip the SSH suites" >&2; exit 1; }
    echo "warning: OpenSSH could not be installed; the SSH suites will be skipped" >&2
fi
# The API contract (openapi/waveline.yaml) must be a valid OpenAPI 3 document and embedded as it is; the Swift
# suites then check it against the server's routes and answers. The validator ships with CI's Python.
scripts/openapi-embed.sh --check
if python3 -c 'import openapi_spec_validator' 2>/dev/null \
    || python3 -m pip install --quiet openapi-spec-validator 2>/dev/null \
    || python3 -m pip install --quiet --break-system-packages openapi-spec-validator; then
    python3 -m openapi_spec_validator openapi/waveline.yaml
else
    [ "${CI:-}" = true ] && { echo "error: openapi-spec-validator could not be installed" >&2; exit 1; }
    echo "warning: openapi-spec-validator could not be installed; openapi/waveline.yaml was not validated" >&2
fi
swift build --build-tests
WAVELINE_BIN="$PWD/.build/debug/waveline" swift test --skip-build "$@"
# The contract against a live server, property-based (schemathesis, every check; installed when missing).
WAVELINE_BIN="$PWD/.build/debug/waveline" scripts/api-fuzz.sh
# The web UI in a real browser (headless chromium, Selenium; installed when missing) against the same binary.
WAVELINE_BIN="$PWD/.build/debug/waveline" scripts/browser-tests.sh
# The release binary compiles too: a whole-module optimized build has failed where the debug build passed. On CI
# (its cold build costs about ten minutes); the benchmarks in bench/ build it the same way.
if [ "${CI:-}" = true ]; then
    swift build -c release --product waveline --scratch-path .build-release
fi
