#!/usr/bin/env bash
# Runs the moto AWS emulator (SQS, Kinesis, DynamoDB) in the foreground on
# 127.0.0.1:PORT (default 5000), from a virtualenv in .venv created on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION=5.2.5
port=${1:-5000}
if [ ! -x .venv/bin/moto_server ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi
exec .venv/bin/moto_server -H 127.0.0.1 -p "$port"
