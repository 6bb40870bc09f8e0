#!/bin/sh
# The operations CLI of the live release, on a server: installed as /usr/local/bin/agent-lab
#   install -m 0755 deploy/agent-lab-cli.sh /usr/local/bin/agent-lab
#   agent-lab check | backup | restore ... | read-only on | maintenance on | smoke --url URL | logs --errors
# It runs /opt/agent-lab/current/bin/agent-lab.js from the service's working directory, with
# the service's settings (the unit's Environment=, then /etc/agent-lab/agent-lab.env) and, when
# started as root, as the service user, so files it writes belong to the lab.
# (Build releases from a checkout instead: npx --no-install agent-lab release.)
set -eu
AGENT_LAB_HOME=${AGENT_LAB_HOME:-/opt/agent-lab}
AGENT_LAB_SERVICE=${AGENT_LAB_SERVICE:-agent-lab}
AGENT_LAB_ENV_FILE=${AGENT_LAB_ENV_FILE:-/etc/agent-lab/agent-lab.env}
AGENT_LAB_WORKDIR=${AGENT_LAB_WORKDIR:-/var/lib/agent-lab}
AGENT_LAB_USER=${AGENT_LAB_USER:-agent-lab}
NODE=${NODE:-$(command -v node || echo /usr/bin/node)}

cli="$AGENT_LAB_HOME/current/bin/agent-lab.js"
[ -f "$cli" ] || { echo "agent-lab: no live release ($AGENT_LAB_HOME/current is missing); see deploy/README.md" >&2; exit 2; }
cd "$AGENT_LAB_WORKDIR"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
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
if [ "$(id -u)" = 0 ] && [ "$AGENT_LAB_USER" != root ] && id -u "$AGENT_LAB_USER" >/dev/null 2>&1; then
  exec runuser -u "$AGENT_LAB_USER" -- "$NODE" "$cli" "$@"
fi
exec "$NODE" "$cli" "$@"
