#!/usr/bin/env bash
# The live proof, runnable by hand or in CI: start the built worker and
# orchestrator on loopback, send every vector in testdata/vectors.json through
# HTTP (Go) into gRPC (Rust), check malformed input gets 400, then stop both
# with SIGTERM and require a clean exit. Logs land in .smoke/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

worker_addr=127.0.0.1:${SMOKE_WORKER_PORT:-50151}
http_addr=127.0.0.1:${SMOKE_HTTP_PORT:-18080}
mkdir -p .smoke

LISTEN_ADDR=$worker_addr "$(worker_bin)" >.smoke/worker.log 2>&1 &
worker_pid=$!
LISTEN_ADDR=$http_addr WORKER_ADDR=$worker_addr bin/orchestrator >.smoke/orchestrator.log 2>&1 &
orchestrator_pid=$!
trap 'kill -KILL $worker_pid $orchestrator_pid ${emulator_pid:-} 2>/dev/null || true' EXIT

if ! (cd orchestrator && go run ./cmd/smoke -base "http://$http_addr" -vectors ../testdata/vectors.json); then
  echo "smoke failed; logs in .smoke/" >&2
  exit 1
fi
stop "$orchestrator_pid" orchestrator
stop "$worker_pid" worker
echo "smoke passed"
