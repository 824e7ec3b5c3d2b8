#!/usr/bin/env bash
# System packages the test suite needs beyond npm: Debian's `chromium` for the
# browser tests (test/browser, driven by puppeteer-core; no browser is ever
# downloaded by npm). Idempotent: does nothing when a Chromium is already
# there (CHROMIUM_PATH, or chromium/chromium-browser/google-chrome on PATH).
set -euo pipefail

if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "${CHROMIUM_PATH}" ]; then
  echo "install-system-deps: using CHROMIUM_PATH=${CHROMIUM_PATH}"
  exit 0
fi
for candidate in chromium chromium-browser google-chrome-stable google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then
    echo "install-system-deps: $candidate found at $(command -v "$candidate")"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: no Chromium and no apt-get; install Chromium yourself and set CHROMIUM_PATH" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-system-deps: not root and no sudo; run as root: apt-get update && apt-get install -y chromium" >&2
    exit 1
  fi
fi
echo "install-system-deps: installing Debian's chromium with apt-get"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
command -v chromium
