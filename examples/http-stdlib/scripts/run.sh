#!/usr/bin/env bash
# Runs every worker and the orchestrator side by side for local development,
# with the services' own settings passed through: LISTEN_ADDR is the
# orchestrator's address (default 127.0.0.1:8080) and each worker serves on
# its WORKER_<NAME>_ADDR, the address the orchestrator dials (default
# 127.0.0.1 on the worker's port in the README, or a Unix socket in a temp
# dir for a worker with transport uds). It says "ready" only once
# GET /readyz answers 200, and fails, naming the service, if one cannot start
# (a port already in use, a bad setting).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
# Seconds to wait for a clean exit after SIGTERM (scripts/lib.sh stop), as in
# compose: the orchestrator's default SHUTDOWN_TIMEOUT and the steps after its
# drain; a worker's drain and its margin.
orchestrator_grace=17 worker_grace=25

addr=$(orchestrator_addr)

target=$(workers_target)
# Workers with transport uds listen on a Unix socket, as in their pod: in a
# short temp dir, since a socket path must fit in 107 bytes.
sockets=$(mktemp -d)
pids=()
names=()
orchestrator_pid=
# start_worker NAME VAR DEFAULT METRICS_PORT: run worker NAME on
# ${VAR:-DEFAULT} and export VAR so the orchestrator dials the same address.
# Its /metrics is on the gRPC host at the gRPC port plus the offset its
# METRICS_PORT has to DEFAULT's (127.0.0.1:METRICS_PORT for a unix:// worker,
# a free port for port 0), so workers moved to other ports never clash.
start_worker() {
  local addr=${!2:-$3} metrics
  case $addr in
    unix://*) metrics=127.0.0.1:$4 ;;
    *:0) metrics=${addr%:*}:0 ;;
    # A moved gRPC port moves the metrics port with it (both defaults are derived).
    *) [[ $3 == unix://* ]] && metrics=${addr%:*}:$4 || metrics=${addr%:*}:$((${addr##*:} + $4 - ${3##*:})) ;;
  esac
  export "$2=$addr"
  LISTEN_ADDR=$addr METRICS_ADDR=$metrics "$target/release/$1" &
  pids+=($!)
  names+=("$1")
}
stop_all() {
  trap - INT TERM EXIT
  if [ -n "$orchestrator_pid" ]; then stop "$orchestrator_pid" orchestrator "$orchestrator_grace" || true; fi
  for i in "${!pids[@]}"; do stop "${pids[$i]}" "${names[$i]}" "$worker_grace" || true; done
  rm -rf "$sockets"
}
trap stop_all INT TERM EXIT

start_worker scorer WORKER_SCORER_ADDR 127.0.0.1:50051 51051
LISTEN_ADDR=$addr bin/orchestrator &
orchestrator_pid=$!

if ! wait_http "$(local_url "$addr")/readyz" "the orchestrator on $addr to be ready" "${WAIT_TIMEOUT:-60}" "${pids[@]}" "$orchestrator_pid"; then
  echo "run failed: a service did not start (is an address already in use? LISTEN_ADDR=$addr WORKER_SCORER_ADDR=$WORKER_SCORER_ADDR)" >&2
  exit 1
fi
echo "ready: orchestrator on $(local_url "$addr"), scorer on $WORKER_SCORER_ADDR; Ctrl-C stops everything" >&2
wait -n "${pids[@]}" "$orchestrator_pid"
