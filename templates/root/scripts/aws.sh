# shellcheck shell=bash
# Sourced, after scripts/lib.sh, by the queue presets' local commands that
# reach AWS (make run, bootstrap, produce, wait-ready, emulator): where the
# local emulator is, and the AWS settings they run with.

# Where `make emulator` serves moto: the queue presets' default AWS_ENDPOINT_URL.
LOCAL_AWS_ENDPOINT=http://127.0.0.1:5000

# aws_env SCRIPT: the AWS settings of the queue presets' local commands (make
# run, bootstrap, produce, wait-ready), SCRIPT refused at once (check_endpoint,
# scripts/checks.sh) on a malformed AWS_ENDPOINT_URL. It defaults to the local
# emulator; set it to "" for real AWS. Only an endpoint on this machine (an emulator, which takes
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
