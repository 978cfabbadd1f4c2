#!/usr/bin/env bash
# wait-ready.sh: waits until the orchestrator started by `make run` answers
# GET /readyz with 200 (every worker SERVING). It looks where run.sh starts
# it: LISTEN_ADDR, else 127.0.0.1:8080.
# wait-ready.sh HOST:PORT: waits until HOST:PORT accepts TCP connections (a
# worker started on its own; it listens once its model is loaded).
# Either way for at most WAIT_TIMEOUT seconds (default 60).
# With PROCESSED=N (a queue preset's `make wait-ready PROCESSED=1000`), it then
# waits, within the same time, until the orchestrator has handled N requests
# since it started (orchestrator_messages_processed_total plus, for a
# redelivery of a stored result, orchestrator_messages_stored_before_total).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

seconds=${WAIT_TIMEOUT:-60}
if [ $# -eq 0 ]; then
  url="$(local_url "$(orchestrator_addr)")/readyz"
  wait_http "$url" "the orchestrator to be ready" "$seconds"
  echo "ready: $url" >&2
  if [ -n "${PROCESSED:-}" ]; then
    case $PROCESSED in
      *[!0-9]*) echo "PROCESSED=$PROCESSED: want a number of requests, e.g. PROCESSED=1000" >&2 && exit 2 ;;
    esac
    metrics="$(local_url "$(orchestrator_addr)")/metrics"
    handled() {
      curl -fsS --max-time 2 "$metrics" 2>/dev/null |
        awk '/^orchestrator_messages_(processed|stored_before)_total /{n += $2} END {print n + 0}'
    }
    deadline=$((SECONDS + seconds))
    until [ "$(handled)" -ge "$PROCESSED" ]; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        echo "timed out after ${seconds}s waiting for $PROCESSED requests handled ($metrics): $(handled) so far" >&2
        exit 1
      fi
      sleep 0.5
    done
    echo "handled: $(handled) requests ($metrics)" >&2
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
