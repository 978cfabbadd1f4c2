#!/usr/bin/env bash
# Runs the worker and the orchestrator side by side for local development.
# WORKER_LISTEN and HTTP_LISTEN override the loopback addresses.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

worker_addr=${WORKER_LISTEN:-127.0.0.1:50051}
http_addr=${HTTP_LISTEN:-127.0.0.1:8080}

LISTEN_ADDR=$worker_addr "$(worker_bin)" &
worker_pid=$!
LISTEN_ADDR=$http_addr WORKER_ADDR=$worker_addr bin/orchestrator &
orchestrator_pid=$!
trap 'stop $orchestrator_pid orchestrator; stop $worker_pid worker' INT TERM EXIT

echo "orchestrator on http://$http_addr, worker on $worker_addr; Ctrl-C stops both" >&2
wait -n "$worker_pid" "$orchestrator_pid"
