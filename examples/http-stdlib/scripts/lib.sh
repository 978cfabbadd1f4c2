# Shared by run.sh and smoke.sh: where the binaries are and how to stop them.

# The worker's release binary, wherever cargo puts its target directory.
worker_bin() {
  local target
  target=$(cd worker && cargo metadata --no-deps --format-version 1 |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  echo "$target/release/scorer"
}

# stop PID NAME: SIGTERM, then insist on a clean exit within 10 seconds.
stop() {
  local pid=$1 name=$2 code=0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name did not stop within 10s of SIGTERM" >&2
    kill -KILL "$pid"
    return 1
  fi
  wait "$pid" || code=$?
  if [ "$code" -ne 0 ]; then
    echo "$name exited with $code after SIGTERM, want 0" >&2
    return 1
  fi
}
