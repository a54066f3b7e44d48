#!/usr/bin/env bash
# The browser tests need Debian's Chromium and a CJK font (screenshots show Chinese, not boxes).
# Nothing to do when both are there; otherwise install them with apt-get (as root or via sudo).
set -euo pipefail
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
have_font() { fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; }
if [ -x "$CHROMIUM" ] && have_font; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null; then
  SUDO="sudo"
else
  echo "The browser tests need Chromium and a CJK font; as root, run:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends" \
       "chromium fonts-noto-cjk fontconfig" >&2
  exit 1
fi
echo "installing Chromium and fonts-noto-cjk for the browser tests ..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  chromium fonts-noto-cjk fontconfig >/dev/null
