#!/usr/bin/env bash
# The live proof, runnable by hand or in CI: start the moto AWS emulator, create
# the resources (cmd/bootstrap), start the built workers and orchestrator, send
# every vector in testdata/vectors.json plus one poison message through the
# stream (cmd/produce); cmd/verify checks every result in DynamoDB
# against the expected score, and the poison record in the dead-letter table.
# Then stop everything with SIGTERM and require a clean exit. Logs land in .smoke/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
# Each service gets its own settings from this environment, as under make run
# (scripts/services.sh): refused before anything starts if one would reach
# every service alike.
. scripts/services.sh
check_settings smoke
# Seconds to wait for a clean exit after SIGTERM (scripts/lib.sh stop), as in
# compose: the orchestrator's default SHUTDOWN_TIMEOUT and the steps after its
# drain; a worker's drain and its margin.
orchestrator_grace=17 worker_grace=25

only_settings smoke SMOKE_ "" SMOKE_HTTP_PORT SMOKE_WORKER_PORT SMOKE_EMULATOR_PORT
# Workers on TCP take consecutive ports from SMOKE_WORKER_PORT, in manifest order.
worker_port=${SMOKE_WORKER_PORT:-50151}
for var in SMOKE_HTTP_PORT SMOKE_WORKER_PORT SMOKE_EMULATOR_PORT; do check_port smoke "$var"; done
http_addr=127.0.0.1:${SMOKE_HTTP_PORT:-18080}
emulator_port=${SMOKE_EMULATOR_PORT:-15000}
# Every port smoke listens on must be free: a service started on a taken one
# exits, while the process holding it (another smoke's) answers the waits.
refuse_taken smoke "$http_addr" "set SMOKE_HTTP_PORT to a free port"
refuse_taken smoke "127.0.0.1:$emulator_port" "set SMOKE_EMULATOR_PORT to a free port"
refuse_taken smoke "127.0.0.1:$((worker_port + 0))" "set SMOKE_WORKER_PORT to move the workers (each takes the next port from it)"
# Every setting is checked, and every port free, by now: --check (make, before
# it builds) stops here.
if [ "${1-}" = --check ]; then exit 0; fi

# lock_run LOCK: holds LOCK, a symlink naming this shell's pid (made in one
# step, so two runs cannot both take it), for this run: a second make smoke in
# this repo fails at once, naming the first, rather than share its logs in
# .smoke/. A lock whose process is gone (killed before it could remove it) is
# taken over.
lock_run() {
  local holder
  if ln -s "$$" "$1" 2>/dev/null; then return 0; fi
  holder=$(readlink "$1" 2>/dev/null || true)
  if [ -z "$holder" ] || ! kill -0 "$holder" 2>/dev/null; then
    rm -f "$1"
    if ln -s "$$" "$1" 2>/dev/null; then return 0; fi
    holder=$(readlink "$1" 2>/dev/null || true)
  fi
  echo "smoke failed: another make smoke (pid ${holder:-unknown}) is running in this repo: wait for it to end, or remove $1 if none runs" >&2
  exit 1
}
mkdir -p .smoke
lock_run .smoke/running
trap 'rm -f .smoke/running' EXIT

export AWS_ENDPOINT_URL=http://127.0.0.1:$emulator_port
export AWS_REGION=${AWS_REGION:-us-east-1} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
./scripts/emulator.sh "$emulator_port" - >.smoke/emulator.log 2>&1 &
emulator_pid=$!
started "$emulator_pid" emulator .smoke/emulator.log
trap 'status=$?; rm -f .smoke/running; if [ "$status" -ne 0 ]; then report_exited; fi
kill_quietly $emulator_pid' EXIT
wait_http "$AWS_ENDPOINT_URL/moto-api/" "the emulator" 300 "$emulator_pid"
go_tool bootstrap

target=$(workers_target)
worker_pids=()
export WORKER_SCORER_ADDR=127.0.0.1:$((worker_port + 0))
# METRICS_ADDR: a free port (logged as "metrics listening"), so no two workers clash.
service_env scorer
env "${env_args[@]}" LISTEN_ADDR="$WORKER_SCORER_ADDR" METRICS_ADDR=127.0.0.1:0 "$target/release/scorer" >.smoke/scorer.log 2>&1 &
worker_pids+=($!)
started $! scorer .smoke/scorer.log
service_env orchestrator
# Its addresses are smoke's own: OPS_LISTEN_ADDR would move /readyz off the port smoke waits on.
env -u OPS_LISTEN_ADDR "${env_args[@]}" LISTEN_ADDR="$http_addr" bin/orchestrator >.smoke/orchestrator.log 2>&1 &
orchestrator_pid=$!
started "$orchestrator_pid" orchestrator .smoke/orchestrator.log
# On failure, first name any service that died (a readiness wait only says it gave up);
# then kill the rest, quietly.
trap 'status=$?; rm -f .smoke/running; if [ "$status" -ne 0 ]; then report_exited; fi
kill_quietly "${worker_pids[@]}" $orchestrator_pid $emulator_pid' EXIT

wait_http "http://$http_addr/readyz" "the orchestrator to be ready" 60 "${worker_pids[@]}" "$orchestrator_pid"
go_tool produce -vectors ../testdata/vectors.json -poison
if ! go_tool verify -vectors ../testdata/vectors.json -dlq; then
  echo "smoke failed; logs in .smoke/" >&2
  exit 1
fi
stop "$orchestrator_pid" orchestrator "$orchestrator_grace"
stop "${worker_pids[0]}" scorer "$worker_grace"
kill -TERM "$emulator_pid" 2>/dev/null || true
echo "smoke passed"
