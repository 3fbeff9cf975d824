#!/usr/bin/env bash
# Debian packages forkpool and this adapter's client need.
source "$(dirname "$0")/../../harness/lib.sh" 2>/dev/null ||
    source "$PEERS_ROOT/harness/lib.sh"
apt_ensure gcc make libc6-dev pkg-config libmsgpack-dev libbsd-dev libjansson-dev
