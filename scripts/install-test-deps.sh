#!/usr/bin/env bash
# Installs the system packages the metric tests need, idempotently: `promtool` and
# `prometheus` (Debian package prometheus), headless Chromium (Debian package chromium,
# driven by playwright-core) and a CJK font (fonts-wqy-zenhei). Installs only what is missing;
# needs root (or sudo) for apt-get.
set -euo pipefail

need=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
[[ -x /usr/bin/chromium ]] || need+=(chromium)
# A CJK font so the browser test's screenshots show Chinese text (the seed is Chinese).
[[ -d /usr/share/fonts/truetype/wqy ]] || need+=(fonts-wqy-zenhei)
if (( ${#need[@]} == 0 )); then exit 0; fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-test-deps: need root to install: ${need[*]}" >&2
    exit 1
  fi
else
  SUDO=""
fi
echo "install-test-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# --no-install-recommends keeps chromium from pulling a desktop; the prometheus package's
# service is never started by the tests (they run the binary on loopback themselves).
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
command -v promtool >/dev/null && [[ -x /usr/bin/chromium ]]
