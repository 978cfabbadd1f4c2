#!/usr/bin/env bash
# Runs every worker and the orchestrator side by side for local development,
# with the services' own settings passed through: LISTEN_ADDR is the
# orchestrator's address (default 127.0.0.1:8080) and each worker serves on
# its WORKER_<NAME>_ADDR, the address the orchestrator dials (default
# 127.0.0.1 on the worker's port in the README, or a Unix socket in a temp
# dir for a worker with transport uds). It says "ready" only once
# GET /readyz answers 200, and fails, naming the service, if one cannot start
# (a port already in use, a bad setting).
# The AWS resources come from AWS_ENDPOINT_URL (default: `make emulator` on
# 127.0.0.1:5000; run `make bootstrap` once), or from real AWS when you set
# AWS_ENDPOINT_URL to "", with your usual credentials and region (aws_env,
# scripts/aws.sh, sets fake keys for a local emulator only).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
# Seconds to wait for a clean exit after SIGTERM (scripts/lib.sh stop), as in
# compose: the orchestrator's default SHUTDOWN_TIMEOUT and the steps after its
# drain; a worker's drain and its margin.
orchestrator_grace=17 worker_grace=25

addr=$(orchestrator_addr)
. scripts/aws.sh
aws_env

target=$(workers_target)
# Each service's output is also kept in .run/NAME.log (this run's only), for
# the report when one exits and for reading after.
mkdir -p .run
worker_pids=()
worker_names=()
orchestrator_pid=
# failed: set once run has failed because a service exited, so stopping the
# rest reports nothing of theirs (one stopped mid start-up is no culprit).
failed=
# launch NAME CMD...: start CMD in the background, its output shown here and
# kept in .run/NAME.log for report_exited. tee ignores Ctrl-C and SIGTERM,
# so a service draining after either still has somewhere to write its logs.
launch() {
  local name=$1
  shift
  "$@" > >(trap '' INT TERM; exec tee ".run/$name.log") 2>&1 &
  started $! "$name" ".run/$name.log"
}
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
  launch "$1" env LISTEN_ADDR="$addr" METRICS_ADDR="$metrics" "$target/release/$1"
  worker_pids+=($!)
  worker_names+=("$1")
}
# stop_all: stops every service still running, the orchestrator first, and
# fails when one does not stop cleanly (exit 0 within its grace).
stop_all() {
  trap - INT TERM EXIT
  local ok=0 i
  if [ -n "$orchestrator_pid" ]; then stop "$orchestrator_pid" orchestrator "$orchestrator_grace" || ok=1; fi
  for i in "${!worker_pids[@]}"; do stop "${worker_pids[$i]}" "${worker_names[$i]}" "$worker_grace" || ok=1; done
  return $ok
}
# blame WHY: names every service that has exited, with its status and the end
# of its log (report_exited), then fails run with WHY.
blame() {
  failed=1
  report_exited
  echo "run failed: $1" >&2
  exit 1
}
# After a failure the services stopped are bystanders, the one that exited
# named already: how they take the stop is not reported.
trap 'if [ -n "$failed" ]; then stop_all 2>/dev/null; else stop_all; fi' EXIT
trap 'stop_all && exit 0 || exit 1' INT TERM

start_worker scorer WORKER_SCORER_ADDR 127.0.0.1:50051 51051
launch orchestrator env LISTEN_ADDR="$addr" bin/orchestrator
orchestrator_pid=$!
pids=("${worker_pids[@]}" "$orchestrator_pid")

if ! wait_http "$(local_url "$addr")/readyz" "the orchestrator on $addr to be ready" "${WAIT_TIMEOUT:-60}" "${pids[@]}"; then
  blame "a service did not start (is an address already in use? LISTEN_ADDR=$addr WORKER_SCORER_ADDR=$WORKER_SCORER_ADDR)"
fi
echo "ready: orchestrator health and metrics on $(local_url "$addr"), scorer on $WORKER_SCORER_ADDR; Ctrl-C stops everything" >&2
# Until Ctrl-C (or SIGTERM), or until a service exits by itself: then name it.
while :; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || blame "a service exited; the others were stopped"
  done
  sleep 0.25
done
