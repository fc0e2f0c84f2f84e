#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png: the summary, a deployment with a failure, a failing node's log, the
# inventory and the audit trail at 1280 px, and the deployment and the log on a phone (390 px), from the demo
# (`waveline demo` on a free port, in a temporary folder), in headless chromium.
# Builds the binary first unless WAVELINE_BIN is set; installs the browser tools when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${WAVELINE_BIN:-}" ]; then
    swift build --product waveline
    WAVELINE_BIN="$PWD/.build/debug/waveline"
fi
export WAVELINE_BIN SE_AVOID_STATS=true
# shellcheck source=browser-env.sh
source scripts/browser-env.sh
"$PYTHON" scripts/screenshots.py docs/screenshots
