#!/usr/bin/env bash
# Runs every test: builds the package (the CLI binary too, which the end-to-end tests start as a real
# server process), then the whole suite. Used by CI (.ci/run) and by people, from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tests need only the Swift toolchain and a POSIX shell (SQLite is built into the package).
swift build --build-tests
WAVELINE_BIN="$PWD/.build/debug/waveline" swift test --skip-build "$@"
