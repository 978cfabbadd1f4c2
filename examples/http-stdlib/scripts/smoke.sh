#!/usr/bin/env bash
# The live proof, runnable by hand or in CI: start the built workers and the
# orchestrator on loopback, send every vector in testdata/vectors.json through
# HTTP (Go) into gRPC (Rust) on the primary's routes and on every worker's
# /v1/workers/NAME routes, check malformed input gets 400, then stop all with
# SIGTERM and require a clean exit. Logs land in .smoke/.
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

only_settings smoke SMOKE_ "HTTP ingress: no emulator" SMOKE_HTTP_PORT SMOKE_WORKER_PORT
# Workers on TCP take consecutive ports from SMOKE_WORKER_PORT, in manifest order.
worker_port=${SMOKE_WORKER_PORT:-50151}
for var in SMOKE_HTTP_PORT SMOKE_WORKER_PORT SMOKE_EMULATOR_PORT; do check_port smoke "$var"; done
# Every setting is checked by now: --check (make, before it builds) stops here.
if [ "${1-}" = --check ]; then exit 0; fi
http_addr=127.0.0.1:${SMOKE_HTTP_PORT:-18080}
mkdir -p .smoke

target=$(workers_target)
worker_pids=()
export WORKER_SCORER_ADDR=127.0.0.1:$((worker_port + 0))
# METRICS_ADDR: a free port (logged as "metrics listening"), so no two workers clash.
service_env scorer
env "${env_args[@]}" LISTEN_ADDR="$WORKER_SCORER_ADDR" METRICS_ADDR=127.0.0.1:0 "$target/release/scorer" >.smoke/scorer.log 2>&1 &
worker_pids+=($!)
started $! scorer .smoke/scorer.log
service_env orchestrator
env "${env_args[@]}" LISTEN_ADDR="$http_addr" bin/orchestrator >.smoke/orchestrator.log 2>&1 &
orchestrator_pid=$!
started "$orchestrator_pid" orchestrator .smoke/orchestrator.log
# On failure, first name any service that died (a readiness wait only says it gave up);
# then kill the rest, quietly.
trap 'status=$?; if [ "$status" -ne 0 ]; then report_exited; fi
kill_quietly "${worker_pids[@]}" $orchestrator_pid' EXIT

if ! (cd orchestrator && go run ./cmd/smoke -base "http://$http_addr" -vectors ../testdata/vectors.json); then
  echo "smoke failed; logs in .smoke/" >&2
  exit 1
fi
stop "$orchestrator_pid" orchestrator "$orchestrator_grace"
stop "${worker_pids[0]}" scorer "$worker_grace"
echo "smoke passed"
