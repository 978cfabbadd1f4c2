#!/usr/bin/env bash
# wait-ready.sh: waits until the orchestrator started by `make run` answers
# GET /readyz with 200 (every worker SERVING). It looks where run.sh starts
# it: LISTEN_ADDR, else 127.0.0.1:8080.
# wait-ready.sh HOST:PORT: waits until HOST:PORT accepts TCP connections (a
# worker started on its own; it listens once its model is loaded).
# Either way for at most WAIT_TIMEOUT seconds (default 60).
# With PROCESSED=N (a queue preset's `make wait-ready PROCESSED=1000` after
# `make produce N=1000`), it then waits, within the same time, until each of
# the N synthetic requests has a result where the sink keeps it (cmd/verify
# -count): N requests, however often each one's record was read, and
# only the last produce run's (the id prefix it recorded in .run/), whatever
# an earlier run left in the same table or log.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# Every setting checked before the wait, which a malformed one would only end in
# a timeout or a refusal (scripts/lib.sh).
seconds=$(wait_timeout wait-ready) || exit 2
check_addr wait-ready LISTEN_ADDR
check_count wait-ready PROCESSED requests 1000000
# PROCESSED's wait reads the results where AWS_ENDPOINT_URL says.
if [ -n "${PROCESSED:-}" ]; then . scripts/aws.sh && aws_env wait-ready; fi
if [ $# -gt 0 ] && ! is_addr "$1"; then
  printf 'wait-ready: address %s: want HOST:PORT, e.g. 127.0.0.1:50051\n' "$(shown "$1")" >&2
  exit 2
fi
if [ $# -eq 0 ]; then
  url="$(local_url "$(orchestrator_addr 8080)")/readyz"
  if ! wait_http "$url" "the orchestrator to be ready" "$seconds"; then
    answers "$url" || echo "start the services first (make run, in a terminal of its own), or set LISTEN_ADDR to the orchestrator's address" >&2
    exit 1
  fi
  echo "ready: $url" >&2
  if [ -n "${PROCESSED:-}" ]; then
    left=$((seconds - SECONDS > 0 ? seconds - SECONDS : 1))
    go_tool verify -count "$PROCESSED" -wait "${left}s"
  fi
  exit 0
fi

host=${1%:*} port=${1##*:}
deadline=$((SECONDS + seconds))
until (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "timed out after ${seconds}s waiting for $1 to accept connections" >&2
    exit 1
  fi
  sleep 0.25
done
echo "ready: $1" >&2
