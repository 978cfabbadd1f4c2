# shellcheck shell=bash
# Shared by run.sh, smoke.sh, wait-ready.sh and bench.sh: where the binaries are,
# how to wait for a service and how to stop one. Sourcing it brings the files
# beside it too: the settings' checks (checks.sh), Go durations read as the
# services read them (durations.sh) and the taken-port checks (ports.sh).

# shellcheck source=scripts/checks.sh
. "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
# shellcheck source=scripts/durations.sh
. "$(dirname "${BASH_SOURCE[0]}")/durations.sh"
# shellcheck source=scripts/ports.sh
. "$(dirname "${BASH_SOURCE[0]}")/ports.sh"

# orchestrator_addr PORT: the orchestrator's address for local runs: LISTEN_ADDR
# as you set it (the orchestrator's own setting, passed through), else loopback
# on PORT, LISTEN_ADDR's default port, which the rendered callers (run.sh,
# wait-ready.sh) pass from the generator's settings table.
orchestrator_addr() {
  echo "${LISTEN_ADDR:-127.0.0.1:$1}"
}

# only_settings SCRIPT PREFIX NOTE NAME...: exits 2, before SCRIPT starts
# anything, on a PREFIX* variable set that is none of the NAMEs it reads here,
# with NOTE (what this repo lacks, if anything) in the message: a setting that
# does not apply to this repo (a worker port with every worker on a Unix
# socket) or a misspelt one would otherwise be ignored without a word.
only_settings() {
  local script=$1 prefix=$2 note=$3 var
  shift 3
  for var in $(compgen -e); do
    if [[ $var != "$prefix"* || " $* " == *" $var "* ]]; then continue; fi
    printf '%s: %s=%s does not apply here%s; %s reads only %s\n' "$script" "$var" "$(shown "${!var}")" "${note:+ ($note)}" "$script" "$*" >&2
    exit 2
  done
}

# local_url HOST:PORT: an http:// URL for it that works from this machine
# (":PORT" and "0.0.0.0:PORT" listen everywhere, loopback included).
local_url() {
  local addr=$1
  case $addr in
    :*) addr=127.0.0.1$addr ;;
    0.0.0.0:*) addr=127.0.0.1:${addr#0.0.0.0:} ;;
    "[::]:"*) addr="[::1]:${addr#\[::\]:}" ;;
  esac
  echo "http://$addr"
}

# The workspace's target directory, wherever cargo puts it (CARGO_TARGET_DIR
# included); each worker's release binary is release/NAME inside it.
workers_target() {
  (cd workers && cargo metadata --no-deps --format-version 1) |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}

# wait_http URL WHAT [SECONDS] [PID...]: poll until URL answers 200, for up to
# SECONDS (default 60). Fails at once, naming it, when one of the PIDs (the
# processes that should be serving) has exited, e.g. because its port is taken:
# checked before each poll, so an answer from another process on that port
# (another run's) is never taken for theirs.
wait_http() {
  local url=$1 what=$2 seconds=${3:-60} pid
  shift 3 2>/dev/null || shift $#
  local deadline=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    for pid in "$@"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "gave up waiting for $what ($url): $(started_name "$pid") exited (the end of its log follows)" >&2
        return 1
      fi
    done
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  echo "timed out after ${seconds}s waiting for $what ($url): $(not_ready "$url")" >&2
  return 1
}

# not_ready URL: why URL did not answer 200, for a timeout's message: the
# status and first line of what it answered (/readyz names what it waits for),
# or that nothing answers there at all.
not_ready() {
  local out
  if out=$(curl -sS --max-time 2 -w '\n%{http_code}' "$1" 2>/dev/null); then
    echo "it answers $(tail -n 1 <<<"$out"): $(head -n 1 <<<"$out")"
  else
    echo "nothing answers there"
  fi
}

# answers URL: whether anything answers an HTTP request to URL (any status), within 2s.
answers() {
  curl -sS -o /dev/null --max-time 2 "$1" 2>/dev/null
}

# wait_answer URL WHAT SECONDS [HINT]: poll until anything answers HTTP at URL,
# saying first what it waits for and how long, and HINT, what serves it, unless
# it answers at once: a silent wait of minutes looks like a hang, and one that
# does not say what it waits on leaves a user who never started it waiting.
wait_answer() {
  local deadline=$((SECONDS + $3))
  if answers "$1"; then return 0; fi
  echo "waiting up to $3 s for $2 at $1${4:+ ($4)}" >&2
  while [ "$SECONDS" -lt "$deadline" ]; do
    if answers "$1"; then return 0; fi
    sleep 0.25
  done
  echo "timed out after $3s waiting for $2 at $1" >&2
  return 1
}

# go_tool NAME ARG...: the orchestrator's cmd/NAME run from orchestrator/ with
# ARG..., built into bin/NAME first (Go's build cache makes an unchanged one
# cheap). Not `go run`: it ended every failure of the tool with exit status 1
# and an "exit status N" line under the tool's own one-line error.
go_tool() {
  local name=$1
  shift
  (cd orchestrator && go build -o "../bin/$name" "./cmd/$name" && exec "../bin/$name" "$@")
}

# The services a script started in the background, for report_exited: parallel
# arrays, as bash 3.2 (macOS's) has no associative ones. stop clears an entry.
started_pids=() started_names=() started_logs=()

# started PID NAME LOG: remember a service started in the background, and its log.
started() {
  started_pids+=("$1") started_names+=("$2") started_logs+=("$3")
}

# started_name PID: the name started gave PID, with the pid ("scorer (pid 42)"),
# or "process PID" for one it was not given.
started_name() {
  local i
  for ((i = 0; i < ${#started_pids[@]}; i++)); do
    if [ "${started_pids[$i]}" = "$1" ]; then
      echo "${started_names[$i]} (pid $1)"
      return
    fi
  done
  echo "process $1"
}

# report_exited: names each service started and not stopped that is no longer
# running, with its exit status and the end of its log. A script calls it when
# it fails, so the failure names the service that died, not only the wait
# that gave up on it.
report_exited() {
  local i pid code
  for ((i = 0; i < ${#started_pids[@]}; i++)); do
    pid=${started_pids[$i]}
    if [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null; then continue; fi
    code=0
    wait "$pid" 2>/dev/null || code=$?
    echo "${started_names[$i]} (pid $pid) exited with status $code; the end of ${started_logs[$i]}:" >&2
    tail -n 20 "${started_logs[$i]}" >&2 || true
  done
}

# kill_quietly PID...: for an EXIT trap. SIGKILLs what still runs and reaps it,
# with stderr closed for the rest of the exit: bash reports a job killed by a
# signal ("Killed") whenever it next notices the death, which can fall after a
# redirection around kill and wait has already ended.
kill_quietly() {
  exec 2>/dev/null
  kill -KILL "$@" || true
  wait || true
}

# stop PID NAME GRACE: SIGTERM, then insist on a clean exit within GRACE
# seconds: what compose's stop_grace_period and Kubernetes'
# terminationGracePeriodSeconds give that service, so a drain that takes its
# whole allowance here is not mistaken for a hang.
stop() {
  local pid=$1 name=$2 grace=${3:?stop PID NAME GRACE: no grace given} code=0 i polls
  for ((i = 0; i < ${#started_pids[@]}; i++)); do
    if [ "${started_pids[$i]}" = "$pid" ]; then started_pids[i]=""; fi
  done
  kill -TERM "$pid" 2>/dev/null || return 0
  # GRACE seconds of 0.1 s polls, counted (seq would list them all: SHUTDOWN_TIMEOUT=100h).
  polls=$((grace * 10))
  while [ "$polls" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
    sleep 0.1
    polls=$((polls - 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name did not stop within ${grace}s of SIGTERM" >&2
    kill -KILL "$pid"
    return 1
  fi
  wait "$pid" || code=$?
  if [ "$code" -ne 0 ]; then
    echo "$name exited with $code after SIGTERM, want 0" >&2
    return 1
  fi
}

# model_memory_figures FILE: runs worker-kit's model_memory test (a release
# build, as the workers ship) with MODEL_MEMORY_OUT=FILE, an absolute path, for
# make bench's model load memory rows. Succeeds when FILE then holds figures: a
# failed assertion's too, which the targets table reports as not met. Fails,
# saying why, when there are none, for the bench to leave the rows out.
model_memory_figures() {
  local out=$1 status=0
  rm -f "$out"
  (cd workers && MODEL_MEMORY_OUT=$out cargo test --release --locked --quiet -p worker-kit \
    --test worker_kit_model_memory -- --exact on_linux::model_memory_is_linear_in_file_size) || status=$?
  if [ -s "$out" ]; then
    [ "$status" = 0 ] || echo "bench: the model_memory test failed; the targets table reports the figures it wrote" >&2
    return 0
  fi
  echo "bench: the model_memory test wrote no figures (exit status $status, output above); the model load memory rows are left out" >&2
  return 1
}
