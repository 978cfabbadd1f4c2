# shellcheck shell=bash
# Whether an address a script is about to start a service on is already taken,
# refused before the service starts. Sourced by lib.sh; is_port is checks.sh's.

# port_taken HOST:PORT: whether another process already accepts connections at
# HOST:PORT, an address of this machine (loopback, or every interface: ":PORT",
# 0.0.0.0, [::]). A Unix socket, port 0 (a free port) or another host's address
# is never taken here: a connect there could hang, and a bind there fails anyway.
port_taken() {
  local host=${1%:*} port=${1##*:}
  case $host in
    "" | 0.0.0.0) host=127.0.0.1 ;;
    127.* | localhost) ;;
    "[::]" | "[::1]") host=::1 ;;
    *) return 1 ;;
  esac
  if ! is_port "$port" || [ $((10#$port)) -eq 0 ]; then return 1; fi
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# refuse_taken SCRIPT HOST:PORT MOVE: fails SCRIPT (exit 1), before it starts a
# service there, when HOST:PORT is taken (port_taken), MOVE saying which
# setting moves it. Started anyway, the service would exit "address already in
# use" while the other process (often the same script's earlier run) answered
# every check in its place.
refuse_taken() {
  if port_taken "$2"; then
    echo "$1 failed: $2 is in use by another process (another make $1?): $3" >&2
    exit 1
  fi
}
