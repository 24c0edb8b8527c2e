#!/usr/bin/env bash
# Stops what deploy/start-replicas.sh started in run-dir (default ./.switchboard-cluster): nginx, then each replica
# (SIGTERM: in-flight requests finish, then the process exits). Only the pids recorded in run-dir are signalled.
set -uo pipefail

run_dir="${1:-$PWD/.switchboard-cluster}"
nginx_bin="${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}"

if [ -f "$run_dir/nginx.pid" ]; then
  "$nginx_bin" -p "$run_dir" -c "$run_dir/nginx.conf" -s quit 2>/dev/null || kill "$(cat "$run_dir/nginx.pid")" 2>/dev/null
fi
pids=()
for f in "$run_dir"/replica-*.pid; do
  [ -f "$f" ] || continue
  pid="$(cat "$f")"
  kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  rm -f "$f"
done
for pid in "${pids[@]}"; do
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
done
for _ in $(seq 1 50); do [ -f "$run_dir/nginx.pid" ] || break; sleep 0.1; done
echo "stopped (run dir $run_dir)"
