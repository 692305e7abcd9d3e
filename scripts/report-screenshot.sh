#!/usr/bin/env bash
# Renders the HTML conformance report in headless Chromium and saves a screenshot to look at.
# Needs Debian's chromium (apt-get install chromium). Usage: scripts/report-screenshot.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/report-screenshot}
mkdir -p "$out"
# A run with two faults on, so the report has failures to show.
cargo run -q -- run --mock-fault page-overlap --mock-fault password-returned \
    --report "$out/report.html" --format terse > "$out/run.log" 2>&1 || true
profile=$(mktemp -d)
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size=1280,2000 \
    --screenshot="$out/report.png" "file://$(realpath "$out/report.html")" 2> "$out/chromium.log"
rm -rf "$profile"
echo "$out/report.png"
