#!/usr/bin/env bash
# Usage: ensure-debian-package.sh PACKAGE COMMAND [COMMAND...]
# Install Debian's PACKAGE with apt-get unless one of the COMMANDs is already on PATH (chromium for the headless
# report test, bubblewrap for the learned-parser sandbox). Allowed to fail (no root, no network, not Debian): the
# tests that need it then skip and say why.
set -u
package=$1
shift
for bin in "$@"; do
    if command -v "$bin" >/dev/null 2>&1; then
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure $package: no apt-get here; the tests that need it will be skipped" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure $package: not root and no passwordless sudo; the tests that need it will be skipped" >&2
        exit 1
    fi
fi
echo "ensure $package: installing it with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# A stale package list is the usual cause of a failed install: update once and retry.
if ! $SUDO apt-get install -y -q --no-install-recommends "$package" >/dev/null 2>&1; then
    $SUDO apt-get update -q >/dev/null 2>&1 || true
    if ! $SUDO apt-get install -y -q --no-install-recommends "$package" >/dev/null; then
        echo "ensure $package: apt-get could not install it; the tests that need it will be skipped" >&2
        exit 1
    fi
fi
