#!/usr/bin/env bash
# Browser journeys drive Debian's Chromium. Install it when missing and we may (root
# with apt); otherwise say what to install. Playwright's own browser download is not used.
set -euo pipefail
CHROMIUM=${TAIZHANG_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  exit 0
fi
echo "Browser tests need Chromium at $CHROMIUM: install Debian's 'chromium' package" >&2
echo "(sudo apt-get install chromium) or set TAIZHANG_CHROMIUM to its path." >&2
exit 1
