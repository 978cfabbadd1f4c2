#!/usr/bin/env bash
# Runs the worker and the orchestrator side by side for local development.
# WORKER_LISTEN and HTTP_LISTEN override the loopback addresses.
# The AWS resources come from AWS_ENDPOINT_URL (default: `make emulator` on
# 127.0.0.1:5000; run `make bootstrap` once), or from real AWS when you set
# AWS_ENDPOINT_URL to "" and provide credentials.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

worker_addr=${WORKER_LISTEN:-127.0.0.1:50051}
http_addr=${HTTP_LISTEN:-127.0.0.1:8080}
export AWS_ENDPOINT_URL=${AWS_ENDPOINT_URL-http://127.0.0.1:5000}
export AWS_REGION=${AWS_REGION:-us-east-1}
if [ -n "$AWS_ENDPOINT_URL" ]; then
  export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
fi

LISTEN_ADDR=$worker_addr "$(worker_bin)" &
worker_pid=$!
LISTEN_ADDR=$http_addr WORKER_ADDR=$worker_addr bin/orchestrator &
orchestrator_pid=$!
trap 'stop $orchestrator_pid orchestrator; stop $worker_pid worker' INT TERM EXIT

echo "orchestrator health on http://$http_addr, worker on $worker_addr; Ctrl-C stops both" >&2
wait -n "$worker_pid" "$orchestrator_pid"
