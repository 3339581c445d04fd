#!/usr/bin/env bash
# Install Debian's bubblewrap, the sandbox learned parsers run in, when it is missing.
# Allowed to fail (no root, no network, not Debian): learned formats then refuse to run and their tests skip.
set -u
if command -v bwrap >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-bwrap: no apt-get here; install bubblewrap by hand to use learned formats" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure-bwrap: not root and no passwordless sudo; learned-format tests will be skipped" >&2
        exit 1
    fi
fi
echo "ensure-bwrap: installing bubblewrap with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends bubblewrap >/dev/null 2>&1; then
    $SUDO apt-get update -q >/dev/null 2>&1 || true
    if ! $SUDO apt-get install -y -q --no-install-recommends bubblewrap >/dev/null; then
        echo "ensure-bwrap: apt-get could not install bubblewrap; learned-format tests will be skipped" >&2
        exit 1
    fi
fi
