#!/usr/bin/env bash
# Starts N Switchboard replicas on one PostgreSQL database and nginx in front of them (round-robin on loopback).
#
#   deploy/start-replicas.sh N [env-file] [run-dir]
#
# env-file (default deploy/switchboard.env) sets SWITCHBOARD_DATABASE_URL and friends (see switchboard.env.example).
# run-dir (default ./.switchboard-cluster) receives each replica's data dir, log and pid file, and nginx's config,
# pid and logs. Replicas may start at once on an empty database: migrations and first-start setup take turns.
# Stop everything with deploy/stop-replicas.sh [run-dir].
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
n="${1:?usage: start-replicas.sh N [env-file] [run-dir]}"
env_file="${2:-$here/switchboard.env}"
run_dir="${3:-$PWD/.switchboard-cluster}"

set -a
# shellcheck disable=SC1090
source "$env_file"
set +a
: "${SWITCHBOARD_DATABASE_URL:?SWITCHBOARD_DATABASE_URL must be set (in $env_file)}"
lb_host="${LB_HOST:-127.0.0.1}"
lb_port="${LB_PORT:-8088}"
base="${REPLICA_BASE_PORT:-9100}"
nginx_bin="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"
node_bin="${NODE:-node}"
# nginx connects from loopback: the replicas believe its X-Forwarded-For/-Proto (and only its).
export SWITCHBOARD_TRUSTED_PROXIES="${SWITCHBOARD_TRUSTED_PROXIES:-127.0.0.1}"

mkdir -p "$run_dir/nginx-tmp"
run_dir="$(cd "$run_dir" && pwd)"

wait_ready() { # url, what
  for _ in $(seq 1 300); do
    if curl -fs -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "start-replicas: $2 did not become ready ($1)" >&2
  return 1
}

upstreams=""
for i in $(seq 0 $((n - 1))); do
  http_port=$((base + i))
  https_port=$((base + 100 + i))
  "$node_bin" "$root/dist/cli/main.js" start --host 127.0.0.1 --port "$https_port" --http-port "$http_port" \
    --data-dir "$run_dir/replica-$i" >"$run_dir/replica-$i.out" 2>&1 &
  echo $! >"$run_dir/replica-$i.pid"
  upstreams+="    server 127.0.0.1:$http_port max_fails=3 fail_timeout=5s;"$'\n'
done
for i in $(seq 0 $((n - 1))); do
  wait_ready "http://127.0.0.1:$((base + i))/health/ready" "replica $i"
done

sed -e "s|@RUN_DIR@|$run_dir|g" -e "s|@LB_HOST@|$lb_host|g" -e "s|@LB_PORT@|$lb_port|g" "$here/nginx.conf.template" |
  awk -v servers="$upstreams" '{ if ($0 == "@UPSTREAM_SERVERS@") printf "%s", servers; else print }' >"$run_dir/nginx.conf"
"$nginx_bin" -p "$run_dir" -c "$run_dir/nginx.conf"
wait_ready "http://$lb_host:$lb_port/health/ready" "nginx"

echo "$n replica(s) ready behind http://$lb_host:$lb_port/ (run dir $run_dir)"
