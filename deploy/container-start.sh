#!/bin/sh
# What the container image runs (Dockerfile ENTRYPOINT); also runnable directly from a clone, which is how the tests
# check it when no container builder is available:
#   deploy/container-start.sh [extra `switchboard start` flags]
#
# Inside a container the server must listen on every interface, and it defaults to the well-known development mode
# (published keys: local use only) so that `docker run -p 8443:8443 -p 8080:8080 <image>` gives stable connection
# strings. Every default below is an environment variable the user can override (`docker run -e …`); the server
# itself reads the SWITCHBOARD_* variables (README "Configuration").
#   SWITCHBOARD_DEV=0                 random keys, kept in the data dir (mount a volume at /data)
#   SWITCHBOARD_DATABASE_URL=…        PostgreSQL instead of SQLite in /data (compose.yaml)
#   SWITCHBOARD_IN_MEMORY=1           nothing on disk but the TLS certificate
#   SWITCHBOARD_TLS_HOSTNAMES=a,b     extra names in the generated certificate (how clients reach the container)
set -eu

app_dir="${SWITCHBOARD_APP_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"

: "${SWITCHBOARD_HOST:=0.0.0.0}"
: "${SWITCHBOARD_PORT:=8443}"
: "${SWITCHBOARD_HTTP_PORT:=8080}"
: "${SWITCHBOARD_DATA_DIR:=/data}"
: "${SWITCHBOARD_DEV:=1}"
: "${SWITCHBOARD_TLS_HOSTNAMES:=localhost,switchboard,host.docker.internal}"
export SWITCHBOARD_HOST SWITCHBOARD_PORT SWITCHBOARD_HTTP_PORT SWITCHBOARD_DATA_DIR SWITCHBOARD_DEV SWITCHBOARD_TLS_HOSTNAMES

case "$SWITCHBOARD_DEV" in
  0 | false | off | no) ;;
  # The published dev keys on 0.0.0.0 are allowed here: the container's network is private unless ports are published.
  *) : "${SWITCHBOARD_DEV_ALLOW_REMOTE:=1}"; export SWITCHBOARD_DEV_ALLOW_REMOTE ;;
esac

exec node "$app_dir/dist/cli/main.js" start "$@"
