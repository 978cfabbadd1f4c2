# shellcheck shell=bash
# Sourced by run.sh, smoke.sh and bench.sh, which start every service from one
# environment: how each service gets its own settings from it (the generator's
# settings table, as the README's Configuration says). A setting only one
# service reads reaches it as you set it. A shared one reaches every service
# that reads it, and its per-service name, ORCHESTRATOR_<VAR> or
# WORKER_<NAME>_<VAR>, sets it for that service alone; an own one would be
# wrong for every service at once (one model in every worker, one service name
# in every trace), so only its per-service name sets it, the plain name is
# refused, and a service given none keeps its own default. The addresses are
# each script's to place. The lists are read by name ("${kind}_shared[@]").
# shellcheck disable=SC2034
orchestrator_shared=(OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL OTEL_RESOURCE_ATTRIBUTES OTEL_TRACES_SAMPLER OTEL_TRACES_SAMPLER_ARG OTEL_BSP_SCHEDULE_DELAY OTEL_SDK_DISABLED OTEL_TRACES_EXPORTER)
orchestrator_own=(OTEL_SERVICE_NAME)
worker_shared=(CPU_BUDGET MAX_IN_FLIGHT SHUTDOWN_GRACE_SECS KEEPALIVE_INTERVAL_SECS KEEPALIVE_TIMEOUT_SECS RUST_LOG METRICS_ADDR OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL OTEL_RESOURCE_ATTRIBUTES OTEL_TRACES_SAMPLER OTEL_TRACES_SAMPLER_ARG OTEL_BSP_SCHEDULE_DELAY OTEL_SDK_DISABLED OTEL_TRACES_EXPORTER)
worker_own=(MODEL_PATH OTEL_SERVICE_NAME)
# "VAR KEY OWN": a shared VAR whose plain value must not hold a KEY entry, as
# that one value would be wrong for every service alike; OWN is the setting
# that sets it per service.
refused_entries=("OTEL_RESOURCE_ATTRIBUTES service.name OTEL_SERVICE_NAME")
# What the services refuse at start themselves (config.go, each worker's
# config.rs, from the same tables): a name in a namespace one owns that is none
# of its settings (a typo: WORKER_PORT), and a retired name, "NAME USE".
# check_settings refuses them first, before anything builds.
orchestrator_settings=(LISTEN_ADDR WORKER_SCORER_ADDR REQUEST_TIMEOUT COALESCE KINESIS_STREAM_NAME LEASE_TABLE LEASE_DURATION KINESIS_MAX_ATTEMPTS KINESIS_INITIAL_POSITION DEAD_LETTER_TABLE DEAD_LETTER_RETENTION DYNAMODB_TABLE SHUTDOWN_TIMEOUT LOG_LEVEL)
orchestrator_prefixes=(WORKER_ KINESIS_)
worker_settings=(LISTEN_ADDR MODEL_PATH CPU_BUDGET MAX_IN_FLIGHT SHUTDOWN_GRACE_SECS KEEPALIVE_INTERVAL_SECS KEEPALIVE_TIMEOUT_SECS RUST_LOG METRICS_ADDR)
worker_prefixes=(MODEL_)
retired_names=("WORKER_ADDR WORKER_SCORER_ADDR" "HTTP_LISTEN LISTEN_ADDR" "CHECKPOINT_TABLE LEASE_TABLE" "RAYON_NUM_THREADS CPU_BUDGET" "TOKIO_WORKER_THREADS CPU_BUDGET")
# Each kind's settings rules, "VAR|KIND|ARG...|WANT" (check_rule, scripts/checks.sh):
# what the service's own parser accepts, from the same table.
orchestrator_rules=("LISTEN_ADDR|addr|||HOST:PORT, PORT 1 to 65535, e.g. 127.0.0.1:8080 or :8080" "REQUEST_TIMEOUT|duration|1|||a positive Go duration such as 2s or 500ms" "COALESCE|choice|on|off" "KINESIS_STREAM_NAME|name|1|128|A-Za-z0-9_.-|1 to 128 letters, digits, -, _ and ." "LEASE_TABLE|name|3|255|A-Za-z0-9_.-|3 to 255 letters, digits, -, _ and ." "LEASE_DURATION|duration|1000|||a Go duration of at least 1s, e.g. 10s" "KINESIS_MAX_ATTEMPTS|whole|1|1000||a whole number from 1 to 1000" "KINESIS_INITIAL_POSITION|choice|TRIM_HORIZON|LATEST" "DEAD_LETTER_TABLE|name|3|255|A-Za-z0-9_.-|3 to 255 letters, digits, -, _ and ." "DEAD_LETTER_RETENTION|duration|1000|||a Go duration of at least 1s, e.g. 336h" "DYNAMODB_TABLE|name|3|255|A-Za-z0-9_.-|3 to 255 letters, digits, -, _ and ." "SHUTDOWN_TIMEOUT|duration|1|||a positive Go duration such as 2s or 500ms" "LOG_LEVEL|level")
worker_rules=("CPU_BUDGET|whole|1|1024||whole CPUs from 1 to 1024" "MAX_IN_FLIGHT|whole|1|1000000||a whole number from 1 to 1000000" "SHUTDOWN_GRACE_SECS|whole|0|3600||whole seconds from 0 to 3600" "KEEPALIVE_INTERVAL_SECS|whole|1|3600||whole seconds from 1 to 3600" "KEEPALIVE_TIMEOUT_SECS|whole|1|3600||whole seconds from 1 to 3600" "METRICS_ADDR|addr|1|1|IP:PORT, e.g. 0.0.0.0:51051, or port 0 for a free one")
# Every service, its kind (which lists apply) and the prefix of its per-service
# names; per_service: every per-service name of every service, which no service
# is given as is.
service_names=() service_kinds=() service_prefixes=() per_service=()
# add_service NAME KIND PREFIX: a service, and its per-service names.
add_service() {
  local list var
  service_names+=("$1") service_kinds+=("$2") service_prefixes+=("$3")
  for list in "$2_shared[@]" "$2_own[@]"; do
    for var in "${!list}"; do per_service+=("$3$var"); done
  done
}
add_service orchestrator orchestrator ORCHESTRATOR_
add_service scorer worker WORKER_SCORER_

# setting PREFIX VAR: VAR's value for the service whose names start with PREFIX:
# its own PREFIXVAR if set, else VAR.
setting() {
  local own=$1$2
  echo "${!own:-${!2:-}}"
}

# service_env NAME: sets env_args to what env(1) needs to start service NAME
# with its settings: the per-service names removed, their values given by the
# plain names. Every -u comes first: env takes no option after an assignment,
# and a script's own assignments after env_args win over them.
service_env() {
  local i prefix kind list var own sets=()
  for i in "${!service_names[@]}"; do
    if [ "${service_names[$i]}" = "$1" ]; then prefix=${service_prefixes[$i]} kind=${service_kinds[$i]}; fi
  done
  env_args=()
  for var in "${per_service[@]}"; do env_args+=(-u "$var"); done
  for list in "${kind:?service_env: no service $1}_shared[@]" "${kind}_own[@]"; do
    for var in "${!list}"; do
      own=$prefix$var
      if [ -n "${!own:-}" ]; then
        sets+=("$var=${!own}")
      # An own setting none gave this service: its default, whatever the plain name holds.
      elif [[ $list == *_own* ]]; then
        env_args+=(-u "$var")
      fi
    done
  done
  env_args+=(${sets[@]+"${sets[@]}"})
}

# per_service_names VAR: every service's per-service name for VAR.
per_service_names() {
  local i list names=()
  for i in "${!service_names[@]}"; do
    for list in "${service_kinds[$i]}_shared[@]" "${service_kinds[$i]}_own[@]"; do
      if [[ " ${!list} " == *" $1 "* ]]; then names+=("${service_prefixes[$i]}$1"); fi
    done
  done
  echo "${names[*]}"
}

# check_values SCRIPT KIND...: refuses each set value a service of the KINDs
# would refuse at start, under its plain name and each per-service one: any
# setting's with whitespace around it, and each rule's.
check_values() {
  local script=$1 kind i list item
  shift
  for kind in "$@"; do
    list="${kind}_settings[@]"
    for item in "${!list}"; do
      check_unspaced "$script" "$item"
      for i in "${!service_names[@]}"; do
        if [ "${service_kinds[$i]}" = "$kind" ]; then check_unspaced "$script" "${service_prefixes[$i]}$item"; fi
      done
    done
    list="${kind}_rules[@]"
    for item in "${!list}"; do
      check_rule "$script" "${item%%|*}" "$item"
      for i in "${!service_names[@]}"; do
        if [ "${service_kinds[$i]}" = "$kind" ]; then check_rule "$script" "${service_prefixes[$i]}${item%%|*}" "$item"; fi
      done
    done
  done
}

# check_settings SCRIPT [KIND...]: refuses (refuse_setting: exit 2, bad input)
# for SCRIPT (run, smoke, bench), before anything starts, on a plain name that must be set per service, on a shared
# one holding an entry that must be, on a per-service name no service reads (a
# typo would otherwise leave a default in force unnoticed), on a name the
# services of the KINDs SCRIPT starts (default both) would refuse, and on a
# value they would (check_values).
check_settings() {
  local i var list table allowed names=() known item key use entry entries kind prefix kinds=(orchestrator worker)
  if [ $# -gt 1 ]; then kinds=("${@:2}"); fi
  for var in "${orchestrator_own[@]}" "${worker_own[@]}"; do
    if [ -z "${!var:-}" ]; then continue; fi
    refuse_setting "$1" "$var" "${!var}" "it set per service ($(per_service_names "$var")), not once for every service that reads it"
  done
  for item in ${refused_entries[@]+"${refused_entries[@]}"}; do
    read -r var key use <<<"$item"
    IFS=, read -r -a entries <<<"${!var:-}"
    for entry in ${entries[@]+"${entries[@]}"}; do
      entry=${entry%%=*}
      # Trimmed as the SDKs read the key: spaces around it do not count.
      entry=${entry#"${entry%%[![:space:]]*}"} && entry=${entry%"${entry##*[![:space:]]}"}
      if [ "$entry" = "$key" ]; then
        refuse_setting "$1" "$var" "${!var}" "no $key entry, one for every service that reads it: set $use per service ($(per_service_names "$use"))"
      fi
    done
  done
  # The orchestrator's own WORKER_<NAME>_ADDR settings are no per-service names, but known.
  known=" ${per_service[*]} "
  for ((i = 1; i < ${#service_names[@]}; i++)); do known+="${service_prefixes[$i]}ADDR "; done
  for var in $(compgen -e); do
    if [[ $known == *" $var "* ]]; then continue; fi
    for i in "${!service_names[@]}"; do
      if [[ $var != "${service_prefixes[$i]}"* ]]; then continue; fi
      names=()
      if [ "${service_kinds[$i]}" = worker ]; then names=(ADDR); fi
      for list in "${service_kinds[$i]}_shared[@]" "${service_kinds[$i]}_own[@]"; do names+=("${!list}"); done
      refuse_setting "$1" "$var" "${!var}" "a setting of ${service_names[$i]} under make $1: ${service_prefixes[$i]} followed by one of ${names[*]}"
    done
    for item in "${retired_names[@]}"; do
      if [ "${item%% *}" = "$var" ] && [ -n "${!var}" ]; then
        refuse_setting "$1" "$var" "${!var}" "${item#* } instead: $var is no longer read"
      fi
    done
    for kind in "${kinds[@]}"; do
      list="${kind}_prefixes[@]"
      for prefix in "${!list}"; do
        if [[ $var != "$prefix"* || -z ${!var} ]]; then continue; fi
        table="${kind}_settings[@]" allowed=
        for item in "${!table}"; do
          if [[ $item == "$prefix"* ]]; then allowed+="${allowed:+, }$item"; fi
        done
        if [[ ", $allowed, " == *", $var, "* ]]; then continue; fi
        if [[ " ${per_service[*]} " == *" $prefix"* ]]; then allowed+="${allowed:+ and }a per-service $prefix<NAME>_<VAR> (README, Configuration)"; fi
        refuse_setting "$1" "$var" "${!var}" "a setting: the $kind reads no $prefix name but ${allowed:-none}"
      done
    done
  done
  check_values "$1" "${kinds[@]}"
}
