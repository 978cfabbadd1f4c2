#!/usr/bin/env bash
# Runs every worker and the orchestrator side by side for local development,
# with the services' own settings passed through from one environment: a
# setting only one service reads reaches it as you set it, and one several
# read is handed out as the table below says (per service where one value
# cannot serve all). The addresses are per service: LISTEN_ADDR is
# the orchestrator's address (default 127.0.0.1:8080); each worker serves
# gRPC on its WORKER_<NAME>_ADDR, the address the orchestrator dials (default
# 127.0.0.1 on the worker's port in the README, or a Unix socket in a temp
# dir for a worker with transport uds), and /metrics on its
# WORKER_<NAME>_METRICS_ADDR (default METRICS_ADDR if you set it, else derived
# from its gRPC address, see start_worker). SHUTDOWN_TIMEOUT and
# SHUTDOWN_GRACE_SECS (per worker too), as you set them, also set how long a stop waits.
# It says "ready" only once GET /readyz answers 200, and fails, naming the
# service and the variable that moves it, if one cannot start (a port
# already in use, a bad setting).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
wait_seconds=$(wait_timeout run) || exit 2
# Every address run places, refused at once if malformed (scripts/checks.sh).
# The longest socket path a worker binds: a socket address's path bytes, less
# the closing NUL and what its staging path adds while it binds (worker-kit's uds).
uds_path_max=$(($(sun_path_bytes) - 1 - 4))
check_addr run LISTEN_ADDR
check_addr run METRICS_ADDR
check_addr run WORKER_SCORER_ADDR "$uds_path_max"
check_addr run WORKER_SCORER_METRICS_ADDR
# Each service's settings from this one environment (scripts/services.sh,
# shared with smoke.sh and bench.sh), refused before anything starts if one
# would reach every service alike, or if a service would refuse its value (the
# drains the stop graces below are derived from too); the addresses are placed
# by start_worker.
. scripts/services.sh
check_settings run

# Seconds to wait for a clean exit after SIGTERM (scripts/lib.sh stop), as in
# compose, but after the drains the services are given here: the
# orchestrator's SHUTDOWN_TIMEOUT (default 10s) and the steps after its
# drain (7s); a worker's SHUTDOWN_GRACE_SECS (default 20) and its margin
# (5s).
orchestrator_grace=17
# Unset or empty: its default.
if drain=$(duration_secs "${SHUTDOWN_TIMEOUT:-}") && [ "$drain" -gt 0 ]; then orchestrator_grace=$((drain + 7)); fi
# The API serves on for SHUTDOWN_DELAY (default 0) before that drain.
if delay=$(duration_secs "${SHUTDOWN_DELAY:-}") && [ "$delay" -gt 0 ]; then orchestrator_grace=$((orchestrator_grace + delay)); fi
# worker_grace SECS: a worker's stop grace for the SHUTDOWN_GRACE_SECS it is given,
# read as the worker reads it (Rust's u64: an optional +, whole seconds up to 3600).
worker_grace() {
  if [[ $1 =~ ^\+?0*([0-9]{1,4})$ ]] && [ $((10#${BASH_REMATCH[1]})) -le 3600 ]; then
    echo $((10#${BASH_REMATCH[1]} + 5))
  else
    echo 25
  fi
}

addr=$(orchestrator_addr 8080)
# Folders of this run's own, which stop_all removes.
run_dirs=()
worker_names=()
worker_graces=()
# The variables that place each service, and their values, by service name:
# what the failure hint names when that service could not start.
placed_names=() placed_vars=()
# start_worker NAME VAR DEFAULT METRICS_PORT: places worker NAME on
# ${VAR:-DEFAULT} and exports VAR so the orchestrator dials the same address;
# launch_workers starts it there, once every service has its addresses.
# Its /metrics is on ${NAME's WORKER_<NAME>_METRICS_ADDR}, else on METRICS_ADDR
# if set (one METRICS_ADDR for several workers works only with port 0: each
# gets a free port), else on the gRPC host at the gRPC port plus the offset its
# METRICS_PORT has to DEFAULT's (127.0.0.1:METRICS_PORT for a unix:// worker,
# a free port for port 0), so workers moved to other ports never clash.
start_worker() {
  local addr=${!2:-$3} prefix=${2%ADDR} metrics metrics_var
  metrics=$(setting "$prefix" METRICS_ADDR)
  # The variable that set it, for claim's message: the per-service one, else the plain one.
  metrics_var=${prefix}METRICS_ADDR
  if [ -z "${!metrics_var:-}" ] && [ -n "${METRICS_ADDR:-}" ]; then metrics_var=METRICS_ADDR; fi
  if [ -z "$metrics" ]; then
    case $addr in
      unix://*) metrics=127.0.0.1:$4 ;;
      *:0) metrics=${addr%:*}:0 ;;
      # A moved gRPC port moves the metrics port with it (both defaults are derived).
      *) [[ $3 == unix://* ]] && metrics=${addr%:*}:$4 || metrics=${addr%:*}:$((${addr##*:} + $4 - ${3##*:})) ;;
    esac
  fi
  claim "$1" "$2" "$addr"
  claim "$1" "$metrics_var" "$metrics" "${prefix}METRICS_ADDR"
  export "$2=$addr"
  worker_names+=("$1") worker_addrs+=("$addr") worker_metrics+=("$metrics")
  worker_graces+=("$(worker_grace "$(setting "$prefix" SHUTDOWN_GRACE_SECS)")")
}
worker_addrs=() worker_metrics=()
# claim SERVICE VAR ADDR [MOVE]: SERVICE listens on ADDR, set by VAR (moved for
# SERVICE alone by MOVE, default VAR). Fails at once,
# naming both variables, when a listener was placed on the same port before,
# whatever the hosts (:8080 beside 127.0.0.1:8080 failed only at the second
# bind), or on the same socket path; port 0 aside: each listener gets a free
# one. Ports alone, as config.go and worker-kit compare a service's own two
# (the generator's distinctPort). Bad input, so exit 2 as every refused
# setting, not 1 as a port another process holds.
claim() {
  local i at other
  at=$(listen_at "$3")
  if [ "$at" != 0 ]; then
    for ((i = 0; i < ${#placed_vars[@]}; i++)); do
      other=${placed_vars[$i]#*=}
      if [ "$(listen_at "$other")" = "$at" ]; then
        echo "run failed: $1 would listen on $3 ($2), where ${placed_names[$i]} listens on $other (${placed_vars[$i]%%=*}): set ${4:-$2} to another ${at%% *}" >&2
        exit 2
      fi
    done
  fi
  placed_names+=("$1") placed_vars+=("$2=$3")
}
# listen_at ADDR: what two listeners may not share: a unix:// address's path,
# else "port N" (leading zeros dropped: 08080 is port 8080), "0" for port 0.
# Every ADDR here has passed check_addr or check_rule.
listen_at() {
  local port
  case $1 in
    unix://*) echo "path ${1#unix://}" ;;
    *) port=$((10#${1##*:})) && if [ "$port" = 0 ]; then echo 0; else echo "port $port"; fi ;;
  esac
}
# placement SERVICE...: "VAR=VALUE ..." for the addresses of those services
# (every service when none is named): the variables that move them.
placement() {
  local i out=()
  for ((i = 0; i < ${#placed_vars[@]}; i++)); do
    if [ $# -eq 0 ] || [[ " $* " == *" ${placed_names[$i]} "* ]]; then out+=("${placed_vars[$i]}"); fi
  done
  echo "${out[*]}"
}
# refuse_placed_taken: fails run at once when an address placed for a service
# is taken by another process (scripts/ports.sh refuse_taken), naming the
# variable that moves it.
refuse_placed_taken() {
  local i
  for ((i = 0; i < ${#placed_vars[@]}; i++)); do
    refuse_taken run "${placed_vars[$i]#*=}" "set ${placed_vars[$i]%%=*} to a free address"
  done
}
start_worker scorer WORKER_SCORER_ADDR 127.0.0.1:50051 51051
claim orchestrator LISTEN_ADDR "$addr"
# Its ops endpoints, when off the API's port (config.go refuses the same port too).
if [ -n "${OPS_LISTEN_ADDR:-}" ]; then claim orchestrator OPS_LISTEN_ADDR "$OPS_LISTEN_ADDR"; fi
refuse_placed_taken
# Every setting is checked and every address placed: --check (make, before it
# builds) stops here.
if [ "${1-}" = --check ]; then exit 0; fi

target=$(workers_target)
# Each service's output is also kept in .run/NAME.log (this run's only), for
# the report when one exits and for reading after.
mkdir -p .run
# Where each service's tee marks that it has copied all (launch), this run's only.
ended=$(mktemp -d)
# Starting and stopping the services: launch, stop_all, blame (scripts/supervise.sh).
# shellcheck source=scripts/supervise.sh
. scripts/supervise.sh
# After a failure the services stopped are bystanders, the one that exited
# named already: how they take the stop is not reported.
trap 'if [ -n "$failed" ]; then stop_all 2>/dev/null; else stop_all; fi' EXIT
trap 'stop_all && exit 0 || exit 1' INT TERM

launch_workers
# The per-service names are this script's: the orchestrator's WORKER_ namespace would refuse them.
service_env orchestrator
launch orchestrator env "${env_args[@]}" LISTEN_ADDR="$addr" bin/orchestrator
orchestrator_pid=$!
pids=("${worker_pids[@]}" "$orchestrator_pid")
names=("${worker_names[@]}" orchestrator)

# /readyz is on the ops port once OPS_LISTEN_ADDR moves it off the API's (config.go): waiting on
# the API's, make run timed out on a ready orchestrator.
ready_addr=${OPS_LISTEN_ADDR:-$addr}
if ! wait_http "$(local_url "$ready_addr")/readyz" "the orchestrator on $ready_addr to be ready" "$wait_seconds" "${pids[@]}"; then
  # The services that exited, and those of them whose log says their address is taken.
  exited=() taken=()
  for i in "${!pids[@]}"; do kill -0 "${pids[$i]}" 2>/dev/null || exited+=("${names[$i]}"); done
  logs_ended ${exited[@]+"${exited[@]}"}
  for name in ${exited[@]+"${exited[@]}"}; do
    if grep -qi 'address already in use' ".run/$name.log" 2>/dev/null; then taken+=("$name"); fi
  done
  if [ ${#taken[@]} -gt 0 ]; then
    blame "${taken[*]} could not listen: an address is in use (its log above says which); set that one to a free address (now $(placement "${taken[@]}"))"
  fi
  # Every service still running: each bound its address, so none is in use; the
  # orchestrator runs but is not ready, and /readyz's answer above says on what.
  # (Without its queue the SQS orchestrator exits; the Kinesis one waits for its stream.)
  if [ ${#exited[@]} -eq 0 ]; then
    blame "every service is running, but the orchestrator was not ready within ${wait_seconds}s: /readyz's answer and the logs above say why (a worker not SERVING); WAIT_TIMEOUT=SECONDS waits longer"
  fi
  blame "${exited[*]} did not start (its log above says why)"
fi
echo "ready: orchestrator on $(local_url "$addr"), scorer on $WORKER_SCORER_ADDR; Ctrl-C stops everything" >&2
# Until Ctrl-C (or SIGTERM), or until a service exits by itself: then name it.
while :; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || blame "a service exited; the others were stopped"
  done
  sleep 0.25
done
