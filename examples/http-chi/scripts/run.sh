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
# Every address run places, refused at once if malformed (scripts/lib.sh).
check_addr run LISTEN_ADDR
check_addr run METRICS_ADDR
check_addr run WORKER_SCORER_ADDR unix
check_addr run WORKER_SCORER_METRICS_ADDR
# The drains the stop graces below are derived from, refused here as the
# services would refuse them at start (config.go, worker-kit's config).
check_duration run SHUTDOWN_TIMEOUT
check_duration run SHUTDOWN_DELAY 0
check_seconds run SHUTDOWN_GRACE_SECS 3600
check_seconds run WORKER_SCORER_SHUTDOWN_GRACE_SECS 3600
# Each service's settings from this one environment (scripts/services.sh,
# shared with smoke.sh and bench.sh), refused before anything starts if one
# would reach every service alike; the addresses are placed by start_worker.
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

addr=$(orchestrator_addr)
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
  local addr=${!2:-$3} prefix=${2%ADDR} metrics
  metrics=$(setting "$prefix" METRICS_ADDR)
  if [ -z "$metrics" ]; then
    case $addr in
      unix://*) metrics=127.0.0.1:$4 ;;
      *:0) metrics=${addr%:*}:0 ;;
      # A moved gRPC port moves the metrics port with it (both defaults are derived).
      *) [[ $3 == unix://* ]] && metrics=${addr%:*}:$4 || metrics=${addr%:*}:$((${addr##*:} + $4 - ${3##*:})) ;;
    esac
  fi
  claim "$1" "$2" "$addr"
  claim "$1" "${prefix}METRICS_ADDR" "$metrics"
  export "$2=$addr"
  worker_names+=("$1") worker_addrs+=("$addr") worker_metrics+=("$metrics")
  worker_graces+=("$(worker_grace "$(setting "$prefix" SHUTDOWN_GRACE_SECS)")")
}
worker_addrs=() worker_metrics=()
# claim SERVICE VAR ADDR: SERVICE listens on ADDR, set by VAR. Fails at once,
# naming both variables, when another service was given the same address
# (port 0 aside: each listener gets a free one).
claim() {
  local i
  if [[ $3 != *:0 ]]; then
    for ((i = 0; i < ${#placed_vars[@]}; i++)); do
      if [ "${placed_vars[$i]#*=}" = "$3" ]; then
        echo "run failed: $1 would listen on $3 ($2), as ${placed_names[$i]} does (${placed_vars[$i]%%=*}): set $2 to another address" >&2
        exit 1
      fi
    done
  fi
  placed_names+=("$1") placed_vars+=("$2=$3")
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
# is taken by another process (scripts/lib.sh refuse_taken), naming the
# variable that moves it.
refuse_placed_taken() {
  local i
  for ((i = 0; i < ${#placed_vars[@]}; i++)); do
    refuse_taken run "${placed_vars[$i]#*=}" "set ${placed_vars[$i]%%=*} to a free address"
  done
}
start_worker scorer WORKER_SCORER_ADDR 127.0.0.1:50051 51051
claim orchestrator LISTEN_ADDR "$addr"
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
worker_pids=()
orchestrator_pid=
# failed: set once run has failed because a service exited, so stopping the
# rest reports nothing of theirs (one stopped mid start-up is no culprit).
failed=
# launch NAME CMD...: start CMD in the background, its output shown here and
# kept in .run/NAME.log for report_exited. Each service runs in a process
# group of its own (job control, set -m, on for the launch only), so a
# terminal's Ctrl-C, which signals the whole foreground group, reaches make
# and this script but no service: the INT trap below stops them in order, the
# orchestrator drained first, while the workers still answer its calls. tee
# ignores Ctrl-C and SIGTERM, so a service draining after either still has
# somewhere to write its logs. tee is a process of its own, and on a busy
# machine it can be yet to copy a service's last lines (or to make its log at
# all) when the service has exited; it leaves a mark in $ended once it has
# copied everything, and what reads a log waits for that (logs_ended). (A tee
# outliving run, behind a child its service left, finds no $ended: quietly.)
launch() {
  local name=$1
  shift
  set -m
  "$@" > >(trap '' INT TERM; tee ".run/$name.log"; : 2>/dev/null >"$ended/$name") 2>&1 &
  set +m
  started $! "$name" ".run/$name.log"
}
# logs_ended NAME...: waits until the output of each named service, which has
# exited, is all in its log and on screen. The wait is bounded (log_end_secs in
# all): a child the service left behind holding its output keeps tee going.
log_end_secs=5
logs_ended() {
  local polls=$((log_end_secs * 20)) name
  for name in "$@"; do
    while [ ! -e "$ended/$name" ] && [ "$polls" -gt 0 ]; do
      sleep 0.05
      polls=$((polls - 1))
    done
  done
}
# launch_workers: starts every worker start_worker placed.
launch_workers() {
  local i
  for i in "${!worker_names[@]}"; do
    service_env "${worker_names[$i]}"
    launch "${worker_names[$i]}" env "${env_args[@]}" LISTEN_ADDR="${worker_addrs[$i]}" METRICS_ADDR="${worker_metrics[$i]}" "$target/release/${worker_names[$i]}"
    worker_pids+=($!)
  done
}
# stop_all: stops every service still running, the orchestrator first (the
# workers only once it has exited: its drain still calls them), and fails
# when one does not stop cleanly (exit 0 within its grace). Whatever asked for
# it, each service gets one SIGTERM, so the stop is a graceful drain. A SIGTERM
# seldom comes alone: `kill %N`, timeout(1) or a closed terminal signal make's
# whole process group, and make sends its recipe's shell one more. So once the
# stop has begun, SIGTERM is ignored (it is the same request: the services'
# stop-signal rule, README "Stopping"), as it would otherwise end this script
# and leave the workers it had yet to stop running; a Ctrl-C is a person's
# second, passed on (hurry). Each stop is bounded by its service's grace (then
# SIGKILL), so the stop itself cannot hang.
stop_all() {
  trap - EXIT
  trap '' TERM
  trap hurry INT
  local ok=0 i workers=()
  # Each one's last lines (a drain's) on screen before what comes after: the
  # orchestrator's before the workers', all before run returns.
  if [ -n "$orchestrator_pid" ]; then
    stop "$orchestrator_pid" orchestrator "$orchestrator_grace" || ok=1
    logs_ended orchestrator
  fi
  for i in "${!worker_pids[@]}"; do
    stop "${worker_pids[$i]}" "${worker_names[$i]}" "${worker_graces[$i]}" || ok=1
    workers+=("${worker_names[$i]}")
  done
  logs_ended ${workers[@]+"${workers[@]}"}
  rm -rf "$ended"
  return $ok
}
# hurry: a Ctrl-C during the stop. Only a person sends this script a second
# SIGINT (make does not pass one on, and a terminal's reaches no service: each
# has a process group of its own), so it is passed on as SIGINT to every
# service still running: one draining exits at once, by the services' rule,
# and a worker not yet told starts its drain with no orchestrator left to call
# it, then takes its SIGTERM as the same request.
hurry() {
  echo "Ctrl-C again: stopping every service now, dropping work in flight" >&2
  local pid
  for pid in "$orchestrator_pid" "${worker_pids[@]}"; do
    if [ -n "$pid" ]; then kill -INT "$pid" 2>/dev/null || :; fi
  done
}
# blame WHY: names every service that has exited, with its status and the end
# of its log (report_exited), then fails run with WHY.
blame() {
  local i gone=()
  failed=1
  for i in "${!pids[@]}"; do kill -0 "${pids[$i]}" 2>/dev/null || gone+=("${names[$i]}"); done
  logs_ended ${gone[@]+"${gone[@]}"}
  report_exited
  echo "run failed: $1" >&2
  exit 1
}
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

if ! wait_http "$(local_url "$addr")/readyz" "the orchestrator on $addr to be ready" "$wait_seconds" "${pids[@]}"; then
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
