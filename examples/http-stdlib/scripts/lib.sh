# Shared by run.sh and smoke.sh: where the binaries are and how to stop them.

# The workspace's target directory, wherever cargo puts it (CARGO_TARGET_DIR
# included); each worker's release binary is release/NAME inside it.
workers_target() {
  (cd workers && cargo metadata --no-deps --format-version 1) |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}

# wait_http URL WHAT: poll until URL answers 200, for up to 60 seconds.
wait_http() {
  for _ in $(seq 240); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  echo "timed out waiting for $2 ($1)" >&2
  return 1
}

# stop PID NAME: SIGTERM, then insist on a clean exit within 15 seconds.
stop() {
  local pid=$1 name=$2 code=0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name did not stop within 15s of SIGTERM" >&2
    kill -KILL "$pid"
    return 1
  fi
  wait "$pid" || code=$?
  if [ "$code" -ne 0 ]; then
    echo "$name exited with $code after SIGTERM, want 0" >&2
    return 1
  fi
}
