#!/usr/bin/env bash
# Deploy a release: deploy/rollout.sh RELEASE_DIR
#   1. checks RELEASE_DIR is a built release and runs its preflight as the service user
#      (environment file present, config valid, data/log/backup directories writable):
#      any problem stops here, with one line saying which, and nothing changes;
#   2. points /opt/agent-lab/current at it (atomically) and restarts the service;
#   3. waits for /health, then runs `agent-lab smoke --url` (health, create agent, stream
#      test, metrics);
#   4. when the restart, health or smoke test fails: points `current` back at the release
#      that ran before, restarts and verifies it, and exits 1.
# On success the release that ran before is kept as /opt/agent-lab/previous (deploy/rollback.sh
# returns to it). Data is never touched: it lives in DATA_DIR, outside the releases.
# Settings and exit codes: see deploy/lib.sh. Build a release first:
#   npx --no-install agent-lab release --into /opt/agent-lab/releases
set -euo pipefail
ACTION=rollout
# shellcheck source=deploy/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

if [ $# -ne 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  [ $# -eq 1 ] && exit 0 || exit 2
fi
[ -d "$1" ] || die 2 "$1 is not a directory (usage: rollout.sh RELEASE_DIR)"
deploy_release "$1"
