#!/usr/bin/env bash
# Runs the moto AWS emulator (SQS, Kinesis, DynamoDB) in the foreground on
# 127.0.0.1:PORT, from a virtualenv in .venv created on first use. PORT is the
# first argument, else the port of AWS_ENDPOINT_URL (default LOCAL_AWS_ENDPOINT,
# scripts/aws.sh), so the emulator is where the services and `make bootstrap`
# look for it. Moto logs a line per request, thousands for one `make produce`,
# so its output goes to LOG, the second argument (default .run/emulator.log,
# this run's only), not to the terminal the services share; "-" keeps it on
# this script's output (smoke.sh, which keeps it in .smoke/).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. scripts/aws.sh

MOTO_VERSION=5.2.5
# Refused at once, before the install, unless where moto serves: plain http on
# 127.0.0.1 or localhost, with a port (scripts/aws.sh).
check_endpoint emulator AWS_ENDPOINT_URL local
port=${1:-$(endpoint_port "${AWS_ENDPOINT_URL:-$LOCAL_AWS_ENDPOINT}")}
log=${2:-.run/emulator.log}
# Given no PORT, the port is AWS_ENDPOINT_URL's; a caller giving one checks it.
if [ $# -eq 0 ]; then
  refuse_taken emulator "127.0.0.1:$port" "set AWS_ENDPOINT_URL to move it (e.g. http://127.0.0.1:5001), for the commands after it too"
fi
if [ ! -x .venv/bin/moto_server ]; then
  echo "emulator: installing moto $MOTO_VERSION into .venv, once (about a minute)" >&2
  python3 -m venv .venv
  # --no-compile: pip would byte-compile every module of botocore and the rest
  # (11-22 s of a 56-74 s install here); Python compiles the ones moto imports
  # on its first start instead, for about 1.6 s.
  .venv/bin/pip install --quiet --disable-pip-version-check --no-compile "moto[server]==$MOTO_VERSION"
fi
if [ "$log" = - ]; then
  exec .venv/bin/moto_server -H 127.0.0.1 -p "$port"
fi
mkdir -p "$(dirname "$log")"
echo "emulator: moto on http://127.0.0.1:$port, logging every request to $log" >&2
exec .venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1
