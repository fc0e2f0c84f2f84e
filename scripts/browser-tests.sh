#!/usr/bin/env bash
# Runs the browser suite (Tests/Browser: pytest + Selenium 4 driving headless Debian chromium) against the built
# `waveline` binary (.build/debug/waveline, or WAVELINE_BIN), installing what is missing (scripts/browser-env.sh).
# Extra arguments go to pytest (e.g. -k filters).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=browser-env.sh
source scripts/browser-env.sh

export WAVELINE_BIN="${WAVELINE_BIN:-$PWD/.build/debug/waveline}"
export SE_AVOID_STATS=true
status=0
"$PYTHON" -m pytest Tests/Browser -q -p no:cacheprovider "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "error: the browser suite collected no tests; its setup is broken (Tests/Browser)" >&2
    exit 1
fi
exit "$status"
