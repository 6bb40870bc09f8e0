#!/usr/bin/env bash
# Return to the previous release on demand: deploy/rollback.sh [RELEASE_DIR]
# Without an argument the target is /opt/agent-lab/previous (the release that ran before the
# last successful rollout; after a rollback, previous is the release rolled back from, so a
# second rollback undoes the first). Same checks as rollout.sh: preflight before switching,
# then restart, /health, `agent-lab smoke`, and back again if the target fails too.
#   deploy/rollback.sh                      # to the previous release
#   deploy/rollback.sh /opt/agent-lab/releases/0.1.0-20261130160126
#   ls -lt /opt/agent-lab/releases; tail /opt/agent-lab/deploy.log   # what there is
# Settings and exit codes: see deploy/lib.sh.
set -euo pipefail
ACTION=rollback
# shellcheck source=deploy/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ] || [ $# -gt 1 ]; then
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
  [ $# -gt 1 ] && exit 2 || exit 0
fi
if [ $# -eq 1 ]; then
  target=$1
  [ -d "$target" ] || die 2 "$target is not a directory"
else
  [ -L "$PREVIOUS_LINK" ] || die 2 "no previous release recorded ($PREVIOUS_LINK is missing); name one: rollback.sh $AGENT_LAB_HOME/releases/<name>"
  target=$(readlink -f "$PREVIOUS_LINK")
  [ -d "$target" ] || die 2 "the previous release $target no longer exists; name one: rollback.sh $AGENT_LAB_HOME/releases/<name>"
fi
[ "$(readlink -f "$target")" != "$(readlink -f "$CURRENT_LINK" 2>/dev/null || true)" ] || die 2 "$(basename "$target") is already the current release"
deploy_release "$target"
