# shellcheck shell=bash
# Sourced, after scripts/lib.sh, by the queue presets' local commands that
# reach AWS (make run, bootstrap, produce, wait-ready, emulator): where the
# local emulator is, and the AWS settings they run with.

# Where `make emulator` serves moto: the queue presets' default AWS_ENDPOINT_URL.
LOCAL_AWS_ENDPOINT=http://127.0.0.1:5000

# check_endpoint SCRIPT VAR [local]: VAR, if set and not empty (AWS itself), must
# be an http:// or https:// URL of a host. A malformed one would otherwise surface
# as the emulator "down", or as an SDK error once everything is built and started.
# Given "local" (the emulator's own check), it must be where the emulator serves:
# plain http on 127.0.0.1 or localhost, with a port and no path. The emulator
# took only the port of any URL, so with https://, another host or a path, moto
# served where none of the commands given the same URL looked. One of the checks
# of scripts/checks.sh (refuse_setting), here as only these presets read it.
check_endpoint() {
  local value=${!2:-} port=
  local re='^https?://([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(:([0-9]{1,5}))?(/[^[:space:][:cntrl:]]*)?$'
  local local_re='^http://(127\.0\.0\.1|localhost):([0-9]{1,5})/?$'
  if [ -z "$value" ]; then return 0; fi
  if [ -n "${3-}" ]; then
    if [[ $value =~ $local_re ]]; then port=${BASH_REMATCH[2]}; fi
    if [ -n "$port" ] && is_port "$port" && [ $((10#$port)) -gt 0 ]; then return 0; fi
    refuse_setting "$1" "$2" "$value" "http://127.0.0.1:PORT or http://localhost:PORT, PORT 1 to 65535, e.g. $LOCAL_AWS_ENDPOINT: the emulator serves plain HTTP on this machine, at no path"
  fi
  if [[ $value =~ $re ]]; then
    port=${BASH_REMATCH[3]}
    if [ -z "$port" ]; then return 0; fi
    if is_port "$port" && [ $((10#$port)) -gt 0 ]; then return 0; fi
  fi
  refuse_setting "$1" "$2" "$value" "an http:// or https:// URL, e.g. $LOCAL_AWS_ENDPOINT, or empty for AWS itself"
}

# endpoint_port URL: the port of a URL check_endpoint took with "local".
endpoint_port() {
  local rest=${1#*://}
  rest=${rest%%/*}
  echo "${rest##*:}"
}

# aws_env SCRIPT: the AWS settings of the queue presets' local commands (make
# run, bootstrap, produce, wait-ready), SCRIPT refused at once (check_endpoint)
# on a malformed AWS_ENDPOINT_URL. It defaults to the local emulator; set it to
# "" for real AWS. Only an endpoint on this machine (an emulator, which takes
# any key) gets a default region and the fake keys "test", and only where none
# are set: real AWS calls are signed by the SDK's own credential chain (your
# environment, profile, SSO or instance role), never as "test".
aws_env() {
  check_endpoint "${1:?aws_env SCRIPT}" AWS_ENDPOINT_URL
  export AWS_ENDPOINT_URL=${AWS_ENDPOINT_URL-$LOCAL_AWS_ENDPOINT}
  case $AWS_ENDPOINT_URL in
    http://127.0.0.1:* | http://localhost:* | "http://[::1]:"*)
      export AWS_REGION=${AWS_REGION:-us-east-1}
      export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
      ;;
  esac
}

# aws_endpoint_up: fails, saying what to start, when AWS_ENDPOINT_URL names an
# endpoint (the emulator) and nothing answers there, so a command that needs it
# says so at once instead of blaming what it would have done next (a stream or
# queue not bootstrapped). Real AWS ("") passes. Needs scripts/lib.sh (answers).
aws_endpoint_up() {
  if [ -n "$AWS_ENDPOINT_URL" ] && ! answers "$AWS_ENDPOINT_URL"; then
    echo "nothing answers at AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL: start the emulator (make emulator, in a terminal of its own, then make bootstrap), or set AWS_ENDPOINT_URL (\"\" for real AWS)" >&2
    return 1
  fi
}
