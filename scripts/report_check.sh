#!/usr/bin/env bash
# Renders a report with headless Chromium (Debian's `chromium`), fails on console errors or
# on plots that did not render, and saves a full-page screenshot next to the report.
# Usage: scripts/report_check.sh [REPORT_DIR]   (default: report/c71-quadratic, made by `make run`)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-report/c71-quadratic}
if [ ! -f "$dir/report.html" ]; then
  .build/release/irrepscope analyze data/c71-quadratic-final.pt --group C71 --initial data/c71-quadratic-init.pt --out "$dir" >/dev/null
fi
if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else echo "report_check: chromium is not installed (apt-get install chromium)" >&2; exit 1; fi
fi
html="$(cd "$dir" && pwd)/report.html"
log=$(mktemp); dom=$(mktemp)
trap 'rm -f "$log" "$dom"' EXIT
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --enable-logging=stderr --v=0)
chromium "${flags[@]}" --window-size=1400,2400 --screenshot="$dir/screenshot.png" "file://$html" 2>"$log" >/dev/null
chromium "${flags[@]}" --dump-dom "file://$html" 2>>"$log" >"$dom"
# Console messages from the page (Chromium logs them as CONSOLE lines) and failed loads.
if grep -E "CONSOLE|Failed to load|ERR_FILE_NOT_FOUND" "$log" >/dev/null; then
  echo "report_check: $html: console errors:" >&2
  grep -E "CONSOLE|Failed to load|ERR_FILE_NOT_FOUND" "$log" >&2
  exit 1
fi
expected=$(grep -c '<figure' "$html")
rendered=$(grep -oE '<svg[^>]*class="plot( [^"]*)?"' "$dom" | wc -l)
if [ "$expected" -eq 0 ] || [ "$rendered" -ne "$expected" ]; then
  echo "report_check: $html: $rendered of $expected plots rendered" >&2
  exit 1
fi
echo "report_check: $html: $rendered plots rendered, no console errors; screenshot $dir/screenshot.png"
