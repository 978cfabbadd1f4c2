# shellcheck shell=bash
# Sourced by scripts/lib.sh: the checks of the settings the scripts read.

# A malformed value is refused with exit 2 before a script starts or probes
# anything, in one line naming the setting, its value (%q, so an invisible or
# control character shows as an escape) and what is allowed; left to run, it
# fails later as something else (a port "in use", an emulator "down", an
# arithmetic error naming a line of a script). Each check passes an unset or
# empty VAR: the script's default applies.

# refuse_setting SCRIPT VAR VALUE WANT: that line, and exit 2.
refuse_setting() {
  printf '%s: %s=%q: want %s\n' "$1" "$2" "$3" "$4" >&2
  exit 2
}

# check_count SCRIPT VAR WHAT: VAR, if set, must be a whole number of WHAT, 1 or more.
check_count() {
  local value=${!2:-}
  if [ -n "$value" ] && ! [[ $value =~ ^[1-9][0-9]*$ ]]; then
    refuse_setting "$1" "$2" "$value" "a whole number of $3, 1 or more"
  fi
}

# is_port PORT: a TCP port number, 0 (any free port) to 65535.
is_port() {
  [[ $1 =~ ^[0-9]{1,5}$ ]] && [ $((10#$1)) -le 65535 ]
}

# check_port SCRIPT VAR: VAR, if set, must be a port, 1 to 65535.
check_port() {
  local value=${!2:-}
  if [ -n "$value" ] && ! { is_port "$value" && [ $((10#$value)) -gt 0 ]; }; then
    refuse_setting "$1" "$2" "$value" "a port number, 1 to 65535"
  fi
}

# is_addr HOST:PORT: a listen or dial address as the services take one: HOST
# empty (every interface), a name or IPv4 address, or an IPv6 one in brackets.
is_addr() {
  [[ $1 == *:* ]] && is_port "${1##*:}" &&
    [[ ${1%:*} =~ ^([A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?\])$ ]]
}

# check_addr SCRIPT VAR [unix]: VAR, if set, must be HOST:PORT (or, given
# "unix", a worker's unix://PATH).
check_addr() {
  local value=${!2:-} want="HOST:PORT, e.g. 127.0.0.1:8080, :8080 or [::1]:8080, PORT 0 to 65535"
  if [ -z "$value" ] || is_addr "$value" || [[ ${3-} == unix && $value == unix://?* ]]; then return 0; fi
  refuse_setting "$1" "$2" "$value" "$want${3:+, or unix://PATH}"
}

# wait_timeout SCRIPT: WAIT_TIMEOUT's seconds (default 60), refused with exit 2 before
# anything starts unless a whole number, 1 or more.
wait_timeout() {
  check_count "$1" WAIT_TIMEOUT seconds
  echo "${WAIT_TIMEOUT:-60}"
}
