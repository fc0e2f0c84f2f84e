#!/usr/bin/env bash
# Runs every test: builds the package (the CLI binary too, which the end-to-end tests start as a real
# server process), then the whole suite. Used by CI (.ci/run) and by people, from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tests need the Swift toolchain and a POSIX shell (SQLite is built into the package), plus OpenSSH for the
# SSH executor's end-to-end tests, which start sshd hosts on loopback: installed here with apt-get when missing
# (CI starts on a machine with only the toolchain). Without it those suites are skipped, saying why.
scripts/sshd-hosts.sh install || echo "warning: OpenSSH could not be installed; the SSH suites will be skipped" >&2
swift build --build-tests
WAVELINE_BIN="$PWD/.build/debug/waveline" swift test --skip-build "$@"
