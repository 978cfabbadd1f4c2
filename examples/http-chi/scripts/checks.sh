# shellcheck shell=bash
# Sourced by scripts/lib.sh: the checks of the settings the scripts read.

# A malformed value is refused with exit 2 before a script starts or probes
# anything, in one line naming the setting, its value (shown: a control
# character escaped) and what is allowed; left to run, it
# fails later as something else (a port "in use", an emulator "down", an
# arithmetic error naming a line of a script). Each check passes an unset or
# empty VAR: the script's default applies. run.sh, smoke.sh and bench.sh make
# every check first, and with --check only those: make runs that before it
# builds anything (the Makefile's SETTINGS_CHECKS), so a bad setting is refused
# in a second, not after minutes of go and cargo builds.

# refuse_setting SCRIPT VAR VALUE WANT: that line, and exit 2.
refuse_setting() {
  printf '%s: %s=%s: want %s\n' "$1" "$2" "$(shown "$3")" "$4" >&2
  exit 2
}

# shown VALUE: VALUE for a message: as it is, unless it holds a control
# character (an escape sequence would act on the terminal, a newline split the
# line), then %q-escaped ($'...').
shown() {
  if [[ $1 == *[[:cntrl:]]* ]]; then printf '%q' "$1"; else printf '%s' "$1"; fi
}

# check_count SCRIPT VAR WHAT [MAX]: VAR, if set, must be a whole number of
# WHAT, 1 or more (and at most MAX: a number past it, or past what Go's int
# holds, passed here and failed in the tool after the build).
check_count() {
  local value=${!2:-} range="1 or more"
  if [ -n "${4-}" ]; then range="1 to $4"; fi
  if [ -n "$value" ] && ! { [[ $value =~ ^[1-9][0-9]*$ ]] && { [ -z "${4-}" ] || is_whole "$value" 1 "$4"; }; }; then
    refuse_setting "$1" "$2" "$value" "a whole number of $3, $range"
  fi
}

# is_port PORT: a TCP port number, 0 (any free port) to 65535, in digits, leading
# zeros and all, as Go's ParseUint and Rust's SocketAddr read one.
is_port() {
  [[ $1 =~ ^[0-9]+$ ]] && is_whole "$1" 0 65535
}

# check_port SCRIPT VAR: VAR, if set, must be a port, 1 to 65535.
check_port() {
  local value=${!2:-}
  if [ -n "$value" ] && ! { is_port "$value" && [ $((10#$value)) -gt 0 ]; }; then
    refuse_setting "$1" "$2" "$value" "a port number, 1 to 65535"
  fi
}

# is_addr HOST:PORT: a listen or dial address as the services take one: HOST
# empty (every interface), a name or IPv4 address, or an IPv6 one in brackets
# with an optional %zone (a name, as Go reads one).
is_addr() {
  local host=${1%:*}
  [[ $1 == *:* ]] && is_port "${1##*:}" || return 1
  if [[ $host =~ ^\[([^]%]*)(%[A-Za-z0-9._-]+)?\]$ ]]; then is_ipv6 "${BASH_REMATCH[1]}"; else [[ $host =~ ^[A-Za-z0-9._-]*$ ]]; fi
}

# is_ipv4 ADDR: four decimal parts, 0 to 255, without leading zeros, as Go's
# net.ParseIP and Rust's Ipv4Addr read one.
is_ipv4() {
  local octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])'
  [[ $1 =~ ^$octet\.$octet\.$octet\.$octet$ ]]
}

# is_ipv6 ADDR: an IPv6 address (no brackets, no zone) as Go's net.ParseIP and
# Rust's Ipv6Addr read one: eight groups of 1 to 4 hex digits, the last two
# maybe an IPv4 address, or fewer around one :: that stands for at least one
# zero group. A pattern alone took [:::] and [1:2], which both refuse.
is_ipv6() {
  local s=$1 v4 head tail n
  [[ $s == *:* ]] || return 1
  if [[ $s == *.* ]]; then
    v4=${s##*:}
    is_ipv4 "$v4" || return 1
    s=${s%"$v4"}0:0
  fi
  if [[ $s == *::*::* ]]; then return 1; fi
  if [[ $s == *::* ]]; then
    head=$(hex_groups "${s%%::*}") && tail=$(hex_groups "${s#*::}") && [ $((head + tail)) -le 7 ]
  else
    n=$(hex_groups "$s") && [ "$n" = 8 ]
  fi
}

# hex_groups TEXT: how many colon-separated groups of 1 to 4 hex digits TEXT
# is (0 when empty); fails when it is not such a list.
hex_groups() {
  local colons=${1//[!:]/}
  if [ -z "$1" ]; then echo 0; elif [[ $1 =~ ^[0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{1,4})*$ ]]; then echo $((${#colons} + 1)); else return 1; fi
}

# sun_path_bytes: the bytes a Unix socket address holds for its path here
# (sockaddr_un's sun_path): 104 on macOS and the BSDs, 108 on Linux.
sun_path_bytes() {
  case $(uname -s) in
    Darwin | *BSD | DragonFly) echo 104 ;;
    *) echo 108 ;;
  esac
}

# check_addr SCRIPT VAR [MAX]: VAR, if set, must be HOST:PORT (or, given MAX, a
# worker's unix:///PATH, absolute and at most MAX bytes: a longer one passed
# this check, then the worker failed to bind it after the build, as a relative
# one failed the orchestrator's own check; and naming a file, as worker-kit and
# config.go read one: not /, nor ending in /, . or .., nor a directory here).
check_addr() {
  local value=${!2:-} want="HOST:PORT (127.0.0.1:PORT, :PORT or [::1]:PORT), PORT 0 to 65535" path last bytes
  if [ -z "$value" ] || is_addr "$value"; then return 0; fi
  path=${value#unix://} last=${value##*/}
  # ${#...} counts bytes in the C locale, as the socket address does.
  if [ -n "${3-}" ] && [[ $value == unix:///* && -n $last && $last != . && $last != .. ]] && [ ! -d "$path" ] &&
    bytes=$(LC_ALL=C && echo "${#path}") && [ "$bytes" -le "$3" ]; then return 0; fi
  refuse_setting "$1" "$2" "$value" "$want${3:+, or unix:///PATH, an absolute path to a socket file (no directory) of at most $3 bytes}"
}

# check_rate SCRIPT VAR WHAT: VAR, if set, must be a decimal number of WHAT above 0.
check_rate() {
  local value=${!2:-}
  if [ -n "$value" ] && ! { [[ $value =~ ^[0-9]+(\.[0-9]+)?$ ]] && [[ $value =~ [1-9] ]]; }; then
    refuse_setting "$1" "$2" "$value" "a number of $3 above 0, e.g. 500 or 12.5"
  fi
}

# check_duration SCRIPT VAR [0]: VAR, if set, must be a positive Go duration
# (duration_ms, scripts/durations.sh, reads it as Go does), or given "0", 0 or more.
check_duration() {
  local value=${!2:-} ms
  if [ -z "$value" ] || { ms=$(duration_ms "$value") && [ "$ms" -ge "${3:-1}" ]; }; then return 0; fi
  if [ -n "${3-}" ]; then refuse_setting "$1" "$2" "$value" "a Go duration of 0 or more, such as 5s"; fi
  refuse_setting "$1" "$2" "$value" "a positive Go duration such as 2s or 500ms"
}

# is_whole VALUE MIN MAX: a whole number from MIN to MAX as Go's strconv and
# Rust's str::parse read one: an optional +, leading zeros. Compared as digit
# strings: MAX may pass what shell arithmetic holds.
is_whole() {
  local digits
  [[ $1 =~ ^\+?[0-9]+$ ]] || return 1
  digits=${1#+}
  digits=${digits#"${digits%%[!0]*}"}
  digits=${digits:-0}
  if [ ${#digits} -gt ${#3} ] || { [ ${#digits} -eq ${#3} ] && [[ $digits > $3 ]]; }; then return 1; fi
  [ ${#digits} -gt ${#2} ] || [ "$digits" -ge "$2" ]
}

# is_level VALUE: slog.Level's text as the orchestrator reads LOG_LEVEL: debug,
# info, warn or error in any case, then an optional +N or -N, N as strconv.Atoi
# reads it (leading zeros, within an int64).
is_level() {
  local lower offset
  lower=$(printf '%s' "$1" | LC_ALL=C tr '[:upper:]' '[:lower:]')
  [[ $lower =~ ^(debug|info|warn|error)([+-][0-9]+)?$ ]] || return 1
  offset=${BASH_REMATCH[2]}
  if [ -z "$offset" ]; then return 0; fi
  if [[ $offset == -* ]]; then is_whole "${offset#-}" 0 9223372036854775808; else is_whole "${offset#+}" 0 9223372036854775807; fi
}

# is_ip HOST: an IP address as Rust's SocketAddr reads a HOST: IPv4, or IPv6 in
# brackets with an optional zone, a number that fits a u32 (the scope id).
is_ip() {
  local ip zone
  is_ipv4 "$1" && return 0
  [[ $1 =~ ^\[([^]%]*)(%([0-9]+))?\]$ ]] || return 1
  ip=${BASH_REMATCH[1]} zone=${BASH_REMATCH[3]}
  is_ipv6 "$ip" && { [ -z "$zone" ] || is_whole "$zone" 0 4294967295; }
}

# is_name VALUE MIN MAX CHARS: MIN to MAX bytes, each in the bracket expression
# CHARS (ASCII ranges): a name AWS takes. The C locale: elsewhere a range such as
# a-z may take a letter AWS refuses, and a length count characters, not bytes.
is_name() {
  local LC_ALL=C
  [ ${#1} -ge "$2" ] && [ ${#1} -le "$3" ] && [[ $1 =~ ^[$4]+$ ]]
}

# duration_bounds DURATION: "FLOOR CEIL", a Go duration in whole milliseconds
# rounded down and up (duration_ms rounds a positive one up, a negative one
# toward 0), so a rule compares it exactly: 999.5ms is under 1s, not 1000ms.
duration_bounds() {
  local abs=${1#[+-]} up down
  up=$(duration_ms "$abs") && down=$(duration_ms "-$abs") || return 1
  if [[ $1 == -* ]]; then
    # Negative: only -0 passes any rule, as 0.
    if [ "$up" != 0 ]; then echo "-$up -$up"; else echo "0 0"; fi
  else
    echo "${down#-} $up"
  fi
}

# check_rule SCRIPT VAR RULE: VAR, if set, must pass RULE, a settings table's
# rule as services.sh renders it ("VAR|KIND|ARG...|WANT", setting-rules.ts),
# from the repo's root.
check_rule() {
  local value=${!2:-} name kind a b c want ms floor host port ceiling
  if [ -z "$value" ]; then return 0; fi
  IFS='|' read -r name kind a b c want <<<"$3"
  case $kind in
    duration)
      # A minimum of 1 ms is "above 0" (1ns is): the duration rounded up; any other, rounded down.
      if read -r floor ms < <(duration_bounds "$value") && [ -n "$ms" ] &&
        { [ "$a" -le 1 ] && [ "$ms" -ge "$a" ] || [ "$floor" -ge "$a" ]; } &&
        { [ -z "$b" ] || [ "$ms" -le "$b" ]; } &&
        { [ -z "$c" ] || { [ "$floor" = "$ms" ] && [ $((ms % 1000)) -eq 0 ]; }; }; then return 0; fi ;;
    whole)
      # c: FILE:KEY, a bound make gen wrote from scoring.proto, as the service derives it at start
      # (the file gone: the bound b alone; the service still refuses past its own).
      if [ -n "$c" ] && ceiling=$(contract_limit "${c%:*}" "${c##*:}"); then b=$ceiling; fi
      want=${want//\{ceiling\}/$b}
      if is_whole "$value" "$a" "$b"; then return 0; fi ;;
    level)
      want="debug, info, warn or error"
      if is_level "$value"; then return 0; fi ;;
    choice)
      want=${3#"$name|choice|"} want=${want//|/ or }
      if [[ "|${3#"$name|choice|"}|" == *"|$value|"* ]]; then return 0; fi ;;
    name)
      if is_name "$value" "$a" "$b" "$c"; then return 0; fi ;;
    addr)
      # a: the host must be an IP; b: port 0 (a free one) is taken too.
      want=$c host=${value%:*} port=${value##*:}
      if [[ $value == *:* ]] && is_port "$port" && { [ -n "$b" ] || is_whole "$port" 1 65535; } &&
        if [ -n "$a" ]; then is_ip "$host"; else is_addr "$host:0"; fi; then return 0; fi ;;
  esac
  refuse_setting "$1" "$2" "$value" "$want"
}

# contract_limit FILE KEY: KEY's value in FILE's KEY=VALUE lines (make gen writes the
# contract's limits there); fails when there is none.
contract_limit() {
  local line
  line=$(grep -m1 -E "^$2=[0-9]+$" "$1" 2>/dev/null) && echo "${line#*=}"
}

# check_unspaced SCRIPT VAR: VAR, if set, must have no whitespace around it (nor
# be only whitespace), which every service refuses in any of its settings.
check_unspaced() {
  local value=${!2:-}
  if [[ $value == [[:space:]]* || $value == *[[:space:]] ]]; then
    refuse_setting "$1" "$2" "$value" "the value without whitespace around it"
  fi
}

# check_choice SCRIPT VAR CHOICE...: VAR, if set, must be one of the CHOICEs.
check_choice() {
  local script=$1 var=$2 value=${!2:-} choices
  shift 2
  if [ -z "$value" ] || [[ " $* " == *" $value "* && $value != *" "* ]]; then return 0; fi
  choices="$*"
  refuse_setting "$script" "$var" "$value" "${choices% *} or ${choices##* }"
}

# wait_timeout SCRIPT: WAIT_TIMEOUT's seconds (default 60), refused with exit 2 before
# anything starts unless a whole number, 1 or more.
wait_timeout() {
  check_count "$1" WAIT_TIMEOUT seconds
  echo "${WAIT_TIMEOUT:-60}"
}
