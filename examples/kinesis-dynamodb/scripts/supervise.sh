# shellcheck shell=bash
# How run.sh starts its services and stops them: each in a process group of
# its own, its output shown and kept in .run/NAME.log (launch); stopped in
# order, the orchestrator drained first, on Ctrl-C, SIGTERM or a failure
# (stop_all, hurry); a service that exited named with its log (blame). Sourced
# by run.sh once the services are placed; it uses run's $ended, run_dirs,
# $orchestrator_grace, the worker_* arrays and $target, and lib.sh's started,
# stop and report_exited.
# Those variables are assigned in run.sh (and failed is read there), which
# ShellCheck follows into this file; checked alone, they would look unset.
# shellcheck disable=SC2154,SC2034

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
  rm -rf "$ended" ${run_dirs[@]+"${run_dirs[@]}"}
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
