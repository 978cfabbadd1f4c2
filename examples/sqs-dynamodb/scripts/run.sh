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
# The AWS resources come from AWS_ENDPOINT_URL (default: `make emulator` on
# 127.0.0.1:5000; run `make bootstrap` once), or from real AWS when you set
# AWS_ENDPOINT_URL to "", with your usual credentials and region (aws_env,
# scripts/aws.sh, sets fake keys for a local emulator only).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
# Seconds to wait for a clean exit after SIGTERM (scripts/lib.sh stop), as in
# compose, but after the drains the services are given here: the
# orchestrator's SHUTDOWN_TIMEOUT (default 10s) and the steps after its
# drain (7s); a worker's SHUTDOWN_GRACE_SECS (default 20) and its margin
# (5s). A value the service refuses stops it at start, so its default serves.
orchestrator_grace=17
# The orchestrator refuses a duration that is not positive (config.go).
if drain=$(duration_secs "${SHUTDOWN_TIMEOUT:-}") && [ "$drain" -gt 0 ]; then orchestrator_grace=$((drain + 7)); fi
# worker_grace SECS: a worker's stop grace for the SHUTDOWN_GRACE_SECS it is given,
# read as the worker reads it (Rust's u64: an optional +, whole seconds up to 3600).
worker_grace() {
  if [[ $1 =~ ^\+?0*([0-9]{1,4})$ ]] && [ $((10#${BASH_REMATCH[1]})) -le 3600 ]; then
    echo $((10#${BASH_REMATCH[1]} + 5))
  else
    echo 25
  fi
}

# The settings more than one service reads, and how they are handed out from
# this one environment (the generator's settings table, as the README's
# Configuration says): a shared one reaches every service that reads it, and
# its per-service name, ORCHESTRATOR_<VAR> or WORKER_<NAME>_<VAR>, sets it for
# that service alone; an own one would be wrong for every service at once (one
# model in every worker, one service name in every trace), so only its
# per-service name sets it, the plain name is refused, and a service given
# none keeps its own default. The addresses are placed by start_worker.
orchestrator_shared=(OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL OTEL_TRACES_SAMPLER OTEL_BSP_SCHEDULE_DELAY OTEL_SDK_DISABLED OTEL_TRACES_EXPORTER)
orchestrator_own=(OTEL_SERVICE_NAME)
worker_shared=(MAX_IN_FLIGHT SHUTDOWN_GRACE_SECS RUST_LOG METRICS_ADDR OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL OTEL_TRACES_SAMPLER OTEL_BSP_SCHEDULE_DELAY OTEL_SDK_DISABLED OTEL_TRACES_EXPORTER)
worker_own=(MODEL_PATH OTEL_SERVICE_NAME)
# Every service, its kind (which lists apply) and the prefix of its per-service names.
service_names=(orchestrator) service_kinds=(orchestrator) service_prefixes=(ORCHESTRATOR_)
# per_service: every per-service name of every service, which no service is given as is.
per_service=()

# setting PREFIX VAR: VAR's value for the service whose names start with PREFIX:
# its own PREFIXVAR if set, else VAR.
setting() {
  local own=$1$2
  echo "${!own:-${!2:-}}"
}

# service_env I: sets env_args to what env(1) needs to start service I with
# its settings: the per-service names removed, their values given by the plain
# names. Every -u comes first: env takes no option after an assignment.
service_env() {
  local prefix=${service_prefixes[$1]} kind=${service_kinds[$1]} list var own sets=()
  env_args=()
  for var in "${per_service[@]}"; do env_args+=(-u "$var"); done
  for list in "${kind}_shared[@]" "${kind}_own[@]"; do
    for var in "${!list}"; do
      own=$prefix$var
      if [ -n "${!own:-}" ]; then
        sets+=("$var=${!own}")
      # An own setting none gave this service: its default, whatever the plain name holds.
      elif [[ $list == *_own* ]]; then
        env_args+=(-u "$var")
      fi
    done
  done
  env_args+=(${sets[@]+"${sets[@]}"})
}

# check_settings: fails, before anything starts, on a plain name that must be
# set per service, and on a per-service name no service reads (a typo would
# otherwise leave a default in force unnoticed).
check_settings() {
  local i var list names=() known
  for var in "${orchestrator_own[@]}" "${worker_own[@]}"; do
    if [ -z "${!var:-}" ]; then continue; fi
    for i in "${!service_names[@]}"; do
      list="${service_kinds[$i]}_own[@]"
      if [[ " ${!list} " == *" $var "* ]]; then names+=("${service_prefixes[$i]}$var"); fi
    done
    echo "run failed: $var=${!var} would reach every service that reads it alike: set it per service instead (${names[*]})" >&2
    exit 1
  done
  # The orchestrator's own WORKER_<NAME>_ADDR settings are no per-service names, but known.
  known=" ${per_service[*]} "
  for ((i = 1; i < ${#service_names[@]}; i++)); do known+="${service_prefixes[$i]}ADDR "; done
  for var in $(compgen -e); do
    if [[ $known == *" $var "* ]]; then continue; fi
    for i in "${!service_names[@]}"; do
      if [[ $var != "${service_prefixes[$i]}"* ]]; then continue; fi
      names=()
      if [ "${service_kinds[$i]}" = worker ]; then names=(ADDR); fi
      for list in "${service_kinds[$i]}_shared[@]" "${service_kinds[$i]}_own[@]"; do names+=("${!list}"); done
      echo "run failed: $var is not a setting of ${service_names[$i]} under make run; ${service_prefixes[$i]} is followed by one of: ${names[*]}" >&2
      exit 1
    done
  done
}

addr=$(orchestrator_addr)
. scripts/aws.sh
aws_env

target=$(workers_target)
# Each service's output is also kept in .run/NAME.log (this run's only), for
# the report when one exits and for reading after.
mkdir -p .run
worker_pids=()
worker_names=()
worker_graces=()
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
# somewhere to write its logs.
launch() {
  local name=$1
  shift
  set -m
  "$@" > >(trap '' INT TERM; exec tee ".run/$name.log") 2>&1 &
  set +m
  started $! "$name" ".run/$name.log"
}
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
  local addr=${!2:-$3} prefix=${2%ADDR} metrics var
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
  service_names+=("$1") service_kinds+=(worker) service_prefixes+=("$prefix")
  for var in "${worker_shared[@]}" "${worker_own[@]}"; do per_service+=("$prefix$var"); done
}
worker_addrs=() worker_metrics=()
for var in "${orchestrator_shared[@]}" "${orchestrator_own[@]}"; do per_service+=("ORCHESTRATOR_$var"); done
# launch_workers: starts every worker start_worker placed.
launch_workers() {
  local i
  for i in "${!worker_names[@]}"; do
    # Service 0 is the orchestrator; the workers follow in order.
    service_env $((i + 1))
    launch "${worker_names[$i]}" env "${env_args[@]}" LISTEN_ADDR="${worker_addrs[$i]}" METRICS_ADDR="${worker_metrics[$i]}" "$target/release/${worker_names[$i]}"
    worker_pids+=($!)
  done
}
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
# stop_all: stops every service still running, the orchestrator first (the
# workers only once it has exited: its drain still calls them), and fails
# when one does not stop cleanly (exit 0 within its grace).
stop_all() {
  trap - INT TERM EXIT
  local ok=0 i
  if [ -n "$orchestrator_pid" ]; then stop "$orchestrator_pid" orchestrator "$orchestrator_grace" || ok=1; fi
  for i in "${!worker_pids[@]}"; do stop "${worker_pids[$i]}" "${worker_names[$i]}" "${worker_graces[$i]}" || ok=1; done
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
claim orchestrator LISTEN_ADDR "$addr"
check_settings
launch_workers
# The per-service names are this script's: the orchestrator's WORKER_ namespace would refuse them.
service_env 0
launch orchestrator env "${env_args[@]}" LISTEN_ADDR="$addr" bin/orchestrator
orchestrator_pid=$!
pids=("${worker_pids[@]}" "$orchestrator_pid")
names=("${worker_names[@]}" orchestrator)

if ! wait_http "$(local_url "$addr")/readyz" "the orchestrator on $addr to be ready" "${WAIT_TIMEOUT:-60}" "${pids[@]}"; then
  # The settings that move the services that exited (all of them if none has).
  exited=()
  for i in "${!pids[@]}"; do kill -0 "${pids[$i]}" 2>/dev/null || exited+=("${names[$i]}"); done
  blame "${exited[*]:-a service} did not start (is an address already in use? set another: $(placement ${exited[@]+"${exited[@]}"}))"
fi
echo "ready: orchestrator health and metrics on $(local_url "$addr"), scorer on $WORKER_SCORER_ADDR; Ctrl-C stops everything" >&2
# Until Ctrl-C (or SIGTERM), or until a service exits by itself: then name it.
while :; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || blame "a service exited; the others were stopped"
  done
  sleep 0.25
done
