#!/usr/bin/env bash
# Installs Debian packages as root, or through sudo; a clear message and exit 1 when this user
# can do neither. Used by install-mosquitto.sh and install-chromium.sh (which check first
# whether the package is already there).
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then
  run() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  run() { sudo "$@"; }
else
  echo "apt-install: $* is not installed and this user cannot install Debian packages." >&2
  echo "  Fix: install it as root with 'apt-get install -y $*', then run again." >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
run apt-get update -qq
run apt-get install -y -qq --no-install-recommends "$@" >/dev/null
