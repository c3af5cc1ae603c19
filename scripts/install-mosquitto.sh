#!/usr/bin/env bash
# Installs Debian's mosquitto broker (used by the tests and `npm run bench` as a real external
# broker). Does nothing when it is already installed. Only installs the package: mqbench
# starts its own mosquitto processes on free loopback ports and stops them by pid; the Debian
# service is not started (there is no init system in CI containers) and is not needed.
set -euo pipefail

if command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  run() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  run() { sudo "$@"; }
else
  echo "install-mosquitto: mosquitto is not installed and this user cannot install Debian packages." >&2
  echo "  Fix: install it as root with 'apt-get install -y mosquitto', then run again." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
run apt-get update -qq
run apt-get install -y -qq --no-install-recommends mosquitto >/dev/null
# Debian's postinst may start the packaged service where an init system exists; it listens on
# 1883 only, and mqbench never uses that instance.
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || {
  echo "install-mosquitto: apt-get finished but no mosquitto binary was found" >&2
  exit 1
}
