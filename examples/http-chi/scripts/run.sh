#!/usr/bin/env bash
# Runs every worker and the orchestrator side by side for local development.
# HTTP_LISTEN and each worker's WORKER_<NAME>_ADDR override the loopback
# addresses; the orchestrator reads the same variables.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

http_addr=${HTTP_LISTEN:-127.0.0.1:8080}

target=$(workers_target)
pids=()
names=()
# start_worker NAME VAR DEFAULT: run worker NAME on ${VAR:-DEFAULT} and
# export VAR so the orchestrator dials the same address.
start_worker() {
  local addr=${!2:-$3}
  export "$2=$addr"
  LISTEN_ADDR=$addr "$target/release/$1" &
  pids+=($!)
  names+=("$1")
  echo "worker $1 on $addr" >&2
}
stop_all() {
  stop "$orchestrator_pid" orchestrator || true
  for i in "${!pids[@]}"; do stop "${pids[$i]}" "${names[$i]}" || true; done
}

start_worker scorer WORKER_SCORER_ADDR 127.0.0.1:50051
LISTEN_ADDR=$http_addr bin/orchestrator &
orchestrator_pid=$!
trap stop_all INT TERM EXIT

echo "orchestrator on http://$http_addr; Ctrl-C stops everything" >&2
wait -n "${pids[@]}" "$orchestrator_pid"
