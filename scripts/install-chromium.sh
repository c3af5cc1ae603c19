#!/usr/bin/env bash
# Installs Debian's chromium (the report tests open the HTML report in headless Chromium through
# playwright-core, which downloads no browser of its own). Does nothing when /usr/bin/chromium
# is already there. Only the package: the tests start their own headless browser and close it.
set -euo pipefail

[ -x /usr/bin/chromium ] && exit 0
bash "$(dirname "$0")/apt-install.sh" chromium
[ -x /usr/bin/chromium ] || {
  echo "install-chromium: apt-get finished but /usr/bin/chromium was not found" >&2
  exit 1
}
