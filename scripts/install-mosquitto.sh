#!/usr/bin/env bash
# Installs Debian's mosquitto broker (used by the tests and `npm run bench` as a real external
# broker). Does nothing when it is already installed. Only installs the package: mqbench
# starts its own mosquitto processes on free loopback ports and stops them by pid; the Debian
# service is not started (there is no init system in CI containers) and is not needed.
set -euo pipefail

installed() { command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; }
installed && exit 0
bash "$(dirname "$0")/apt-install.sh" mosquitto
# Debian's postinst may start the packaged service where an init system exists; it listens on
# 1883 only, and mqbench never uses that instance.
installed || {
  echo "install-mosquitto: apt-get finished but no mosquitto binary was found" >&2
  exit 1
}
