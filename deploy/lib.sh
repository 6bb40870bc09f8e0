# shellcheck shell=bash
# Shared by deploy/rollout.sh and deploy/rollback.sh: switch the `current` link, restart,
# wait for health, smoke-test, and switch back when that fails. Settings (environment):
#   AGENT_LAB_HOME            /opt/agent-lab       releases/, current, previous, deploy.log
#   AGENT_LAB_SERVICE         agent-lab            the systemd unit
#   AGENT_LAB_URL             http://127.0.0.1:7860  the lab itself (not nginx), for health and smoke
#   AGENT_LAB_ENV_FILE        /etc/agent-lab/agent-lab.env
#   AGENT_LAB_WORKDIR         /var/lib/agent-lab   the service's working directory
#   AGENT_LAB_USER            agent-lab            the preflight runs as this user (when root)
#   AGENT_LAB_HEALTH_TIMEOUT  30                   seconds to wait for /health after a restart
#   AGENT_LAB_KEEP_RELEASES   5                    older release directories are removed
#   AGENT_LAB_RESTART_CMD     systemctl restart $AGENT_LAB_SERVICE   (sh -c; required without systemd)
#   AGENT_LAB_ALIVE_CMD       systemctl is-active --quiet $AGENT_LAB_SERVICE  (exit 0 while running)
#   AGENT_LAB_LOGS_CMD        journalctl -u $AGENT_LAB_SERVICE -n 30 --no-pager -o cat
# Exit codes: 0 done; 1 the new release failed and the previous one runs again; 2 stopped
# before changing anything (bad input, preflight); 3 failed and the lab is not running.

set -euo pipefail

AGENT_LAB_HOME=${AGENT_LAB_HOME:-/opt/agent-lab}
AGENT_LAB_SERVICE=${AGENT_LAB_SERVICE:-agent-lab}
AGENT_LAB_URL=${AGENT_LAB_URL:-http://127.0.0.1:7860}
AGENT_LAB_ENV_FILE=${AGENT_LAB_ENV_FILE:-/etc/agent-lab/agent-lab.env}
AGENT_LAB_WORKDIR=${AGENT_LAB_WORKDIR:-/var/lib/agent-lab}
AGENT_LAB_USER=${AGENT_LAB_USER:-agent-lab}
AGENT_LAB_HEALTH_TIMEOUT=${AGENT_LAB_HEALTH_TIMEOUT:-30}
AGENT_LAB_KEEP_RELEASES=${AGENT_LAB_KEEP_RELEASES:-5}
NODE=${NODE:-$(command -v node || echo /usr/bin/node)}

ACTION=${ACTION:-deploy}
CURRENT_LINK="$AGENT_LAB_HOME/current"
PREVIOUS_LINK="$AGENT_LAB_HOME/previous"

say() { echo "$ACTION: $*"; }
# one line on stderr, then stop with the given code
die() {
  local code=$1
  shift
  echo "$ACTION: $*" >&2
  history_line "failed: $*"
  exit "$code"
}
history_line() { { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $ACTION ${TARGET_NAME:-?} ${*}" >>"$AGENT_LAB_HOME/deploy.log"; } 2>/dev/null || true; }

have_systemd() { command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; }

setup_commands() {
  if [ -z "${AGENT_LAB_RESTART_CMD:-}" ]; then
    have_systemd || die 2 "systemd is not running here: set AGENT_LAB_RESTART_CMD to the command that restarts the lab"
    AGENT_LAB_RESTART_CMD="systemctl restart $AGENT_LAB_SERVICE"
    : "${AGENT_LAB_ALIVE_CMD:=systemctl is-active --quiet $AGENT_LAB_SERVICE}"
    : "${AGENT_LAB_LOGS_CMD:=journalctl -u $AGENT_LAB_SERVICE -n 30 --no-pager -o cat}"
  fi
  : "${AGENT_LAB_ALIVE_CMD:=true}"
  : "${AGENT_LAB_LOGS_CMD:=true}"
}

take_lock() {
  mkdir -p "$AGENT_LAB_HOME"
  exec 9>"$AGENT_LAB_HOME/.deploy.lock"
  flock -n 9 || die 2 "another rollout or rollback is running (lock $AGENT_LAB_HOME/.deploy.lock)"
}

# a directory that holds a built release
check_release() {
  local dir=$1 missing=""
  for file in package.json dist/server/main.js dist/cli/main.js bin/agent-lab.js deploy/preflight.mjs node_modules; do
    [ -e "$dir/$file" ] || missing="$missing $file"
  done
  [ -z "$missing" ] || die 2 "$dir is not a release (missing:$missing); build one with: npx --no-install agent-lab release --into $AGENT_LAB_HOME/releases"
}

link_target() { readlink -f "$1" 2>/dev/null || true; }

# atomically point `current` at a release (or remove it)
switch_current() {
  local target=$1
  if [ -z "$target" ]; then
    rm -f "$CURRENT_LINK"
    return
  fi
  ln -sfn "$target" "$AGENT_LAB_HOME/.current.new"
  mv -Tf "$AGENT_LAB_HOME/.current.new" "$CURRENT_LINK"
}

# run a command with the unit's Environment= and the environment file, as the lab sees them
with_lab_env() {
  (
    cd "$AGENT_LAB_WORKDIR" || exit 2
    if have_systemd && systemctl cat "$AGENT_LAB_SERVICE" >/dev/null 2>&1; then
      # the unit's Environment= lines (simple KEY=value words)
      for assignment in $(systemctl show -p Environment --value "$AGENT_LAB_SERVICE" 2>/dev/null); do
        case $assignment in *=*) export "${assignment?}" ;; esac
      done
    fi
    if [ -r "$AGENT_LAB_ENV_FILE" ]; then
      set -a
      # shellcheck disable=SC1090
      . "$AGENT_LAB_ENV_FILE"
      set +a
    fi
    "$@"
  )
}

as_service_user() {
  if [ "$(id -u)" = 0 ] && [ "$AGENT_LAB_USER" != root ] && id -u "$AGENT_LAB_USER" >/dev/null 2>&1; then
    runuser -u "$AGENT_LAB_USER" -- "$@"
  else
    "$@"
  fi
}

# before touching anything: the environment file, the config, the directories (not the port:
# the running lab holds it; the restart's own preflight checks it)
preflight() {
  local release=$1 output
  [ -f "$AGENT_LAB_ENV_FILE" ] || die 2 "environment file $AGENT_LAB_ENV_FILE is missing (create it from deploy/agent-lab.env.example); nothing changed"
  [ -d "$AGENT_LAB_WORKDIR" ] || die 2 "working directory $AGENT_LAB_WORKDIR is missing (install -d -o $AGENT_LAB_USER -m 0750 $AGENT_LAB_WORKDIR); nothing changed"
  if ! output=$(with_lab_env as_service_user "$NODE" "$release/deploy/preflight.mjs" --environment-file "$AGENT_LAB_ENV_FILE" --skip-port 2>&1); then
    echo "$output" | grep 'preflight:' >&2 || echo "$output" >&2
    die 2 "preflight failed for $(basename "$release"); nothing changed"
  fi
}

# the last lines of the lab's log that say what went wrong
explain_failure() {
  local logs
  logs=$(sh -c "$AGENT_LAB_LOGS_CMD" 2>&1 9>&- | tail -n 30 || true)
  local clear
  clear=$(echo "$logs" | grep -E 'preflight:|agent-lab:|FATAL|ERROR|Error' | tail -n 5 || true)
  if [ -n "$clear" ]; then echo "$clear" | sed 's/^/    /' >&2; elif [ -n "$logs" ]; then echo "$logs" | tail -n 5 | sed 's/^/    /' >&2; fi
}

http_ok() {
  "$NODE" -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$1"
}

# restart, wait for /health, run the smoke test; 0 when all passed
start_and_verify() {
  local release=$1 output deadline
  # fd 9 (the deploy lock) must not leak into a lab the restart command starts
  if ! output=$(sh -c "$AGENT_LAB_RESTART_CMD" 2>&1 9>&-); then
    echo "$ACTION: restart failed ($AGENT_LAB_RESTART_CMD):" >&2
    [ -n "$output" ] && echo "$output" | grep -v '^$' | tail -n 5 | sed 's/^/    /' >&2
    case $output in *preflight:*) ;; *) explain_failure ;; esac
    return 1
  fi
  deadline=$(($(date +%s) + AGENT_LAB_HEALTH_TIMEOUT))
  sleep 0.3
  until http_ok "$AGENT_LAB_URL/health"; do
    if ! sh -c "$AGENT_LAB_ALIVE_CMD" >/dev/null 2>&1 9>&-; then
      echo "$ACTION: the lab stopped right after starting:" >&2
      explain_failure
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "$ACTION: $AGENT_LAB_URL/health did not answer 200 within ${AGENT_LAB_HEALTH_TIMEOUT}s:" >&2
      explain_failure
      return 1
    fi
    sleep 0.5
  done
  say "healthy; running the smoke test"
  if ! output=$(with_lab_env "$NODE" "$release/bin/agent-lab.js" smoke --url "$AGENT_LAB_URL" 2>&1); then
    echo "$ACTION: smoke test failed:" >&2
    echo "$output" | tail -n 15 | sed 's/^/    /' >&2
    return 1
  fi
  echo "$output" | tail -n 15 | sed 's/^/    /'
  return 0
}

# keep current, previous and the newest AGENT_LAB_KEEP_RELEASES other release directories
prune_releases() {
  local dir="$AGENT_LAB_HOME/releases" current previous kept=0 name path
  [ -d "$dir" ] || return 0
  current=$(link_target "$CURRENT_LINK")
  previous=$(link_target "$PREVIOUS_LINK")
  # shellcheck disable=SC2012
  for name in $(ls -1t "$dir"); do
    path="$dir/$name"
    [ -d "$path" ] || continue
    if [ "$path" = "$current" ] || [ "$path" = "$previous" ]; then continue; fi
    kept=$((kept + 1))
    if [ "$kept" -gt "$AGENT_LAB_KEEP_RELEASES" ]; then
      rm -rf -- "$path" && say "removed old release $name"
    fi
  done
}

# switch to TARGET, verify; on failure switch back to what ran before and verify that
deploy_release() {
  local target=$1 before
  setup_commands
  take_lock
  target=$(cd "$target" && pwd -P)
  TARGET_NAME=$(basename "$target")
  check_release "$target"
  before=$(link_target "$CURRENT_LINK")
  preflight "$target"

  say "switching $CURRENT_LINK to $TARGET_NAME${before:+ (was $(basename "$before"))}"
  switch_current "$target"
  if start_and_verify "$target"; then
    if [ -n "$before" ] && [ "$before" != "$target" ]; then
      ln -sfn "$before" "$AGENT_LAB_HOME/.previous.new"
      mv -Tf "$AGENT_LAB_HOME/.previous.new" "$PREVIOUS_LINK"
    fi
    history_line "ok${before:+ (from $(basename "$before"))}"
    prune_releases
    say "done: $TARGET_NAME is live"
    return 0
  fi

  if [ -z "$before" ] || [ "$before" = "$target" ]; then
    # nothing good to return to: undo the switch (first install) and say so
    [ -z "$before" ] && switch_current ""
    history_line "failed, no earlier release to return to"
    echo "$ACTION: $TARGET_NAME failed and there is no earlier release to return to: the lab is not serving a verified release" >&2
    exit 3
  fi
  echo "$ACTION: $TARGET_NAME failed; switching back to $(basename "$before")" >&2
  switch_current "$before"
  if start_and_verify "$before"; then
    history_line "failed, rolled back to $(basename "$before")"
    echo "$ACTION: rolled back: $(basename "$before") is live again" >&2
    exit 1
  fi
  history_line "failed, and $(basename "$before") did not come back either"
  echo "$ACTION: $(basename "$before") did not come back either: the lab is DOWN (see: journalctl -u $AGENT_LAB_SERVICE -n 50)" >&2
  exit 3
}
