#!/usr/bin/env bash
# System packages the tests need: Debian's chromium (the HTML report is tested in a real
# headless browser) and nginx (the corrected redirect map is served for real). Installed only
# when missing; needs root or passwordless sudo.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
# nginx serves the generated fixes/ rules for real in tests/fixes/test_fixes.py, and the
# benchmark's synthetic site (bench/, smoke-tested in tests/test_bench.py)
[ -x /usr/sbin/nginx ] || need+=(nginx)
[ -x /usr/sbin/apache2 ] || need+=(apache2)  # Apache httpd answers the pre-flight tests' .htaccess
[ -x /usr/bin/redis-server ] || need+=(redis-server)  # Redis: distributed audits (tests/distributed/)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "install-system-deps: need root to install: ${need[*]} (apt-get install ${need[*]})" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}" >/dev/null
echo "install-system-deps: installed ${need[*]}" >&2
