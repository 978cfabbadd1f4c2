#!/usr/bin/env bash
# `make bench`: measures the built services on loopback and writes bench/results.json,
# bench/summary.txt and bench/latency.svg (see "Benchmarks" in README.md).
#   1. single-core model scoring: the scorer worker's bench_model example against the Go port,
#      one round of each in turn; then model load memory, by worker-kit's model_memory test
#   2. the worker and the orchestrator start on free loopback ports and
#      orchestrator/cmd/loadgen drives them, directly over gRPC and through HTTP, and
#      drives a bare net/http server (`bin/loadgen http-floor`): the least any Go HTTP
#      front end costs here, which bounds the e2e throughput target from above
#   3. before that, the tracing overhead: the HTTP path with tracing off, at 1% and always
#      on, the services exporting to a discarding OTLP sink (`bin/loadgen otlp-sink`); then
#      the HTTP path with the orchestrator's coalescing off and on (COALESCE); then the
#      orchestrator against orchestrator/cmd/gateway, a grpc-gateway proxy generated from
#      the same contract, on the same route: server CPU per request; each comparison's
#      variants alternate run by run on freshly started services
# BENCH_DURATION (a Go duration, default 2s), BENCH_RUNS (3), BENCH_RATE (2000 req/s) and
# BENCH_CONCURRENCY (32) shorten or reshape it; every phase is bounded by them:
# each run measures 31 phases of BENCH_DURATION and 8 model scoring rounds.
# BENCH_TRANSPORT (tcp: loopback TCP, or uds: Unix sockets) is where the workers listen; unset,
# the primary's transport in hybrid-backend.json, so the figures are those of the hop deployed.
# The verdict measures the hop over the other transport too, on a second primary worker.
# BENCH_PIN=1 pins the worker(s), the orchestrator and loadgen to cores with taskset: each its
# own on 3 cores or more, loadgen apart from the services on 2 (see scripts/pinning.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
# Each service gets its own settings from this environment, as under make run
# (scripts/services.sh): refused before anything builds if one would reach
# every service alike. Then every setting of its own is checked (scripts/checks.sh),
# a misspelt BENCH_* one too; --check (make, before it builds) stops there.
. scripts/services.sh
check_settings bench
only_settings bench BENCH_ "" BENCH_DURATION BENCH_RUNS BENCH_RATE BENCH_CONCURRENCY BENCH_TRANSPORT BENCH_PIN
check_duration bench BENCH_DURATION
check_count bench BENCH_RUNS runs
check_rate bench BENCH_RATE "requests per second"
check_count bench BENCH_CONCURRENCY "requests in flight"
check_choice bench BENCH_TRANSPORT tcp uds
check_choice bench BENCH_PIN 0 1
if [ "${1-}" = --check ]; then exit 0; fi
# Seconds to wait for a clean exit after SIGTERM (scripts/lib.sh stop), as in
# compose: the orchestrator's default SHUTDOWN_TIMEOUT and the steps after its
# drain; a worker's drain and its margin. The bench's own servers (the OTLP sink, the HTTP
# floor) hold no work to drain.
worker_grace=25
orchestrator_grace=17 tool_grace=5

# The defaults, from which the README's "how long" is computed too.
duration=2s runs=3 rate=2000 concurrency=32
duration=${BENCH_DURATION:-$duration}
runs=${BENCH_RUNS:-$runs}
rate=${BENCH_RATE:-$rate}
concurrency=${BENCH_CONCURRENCY:-$concurrency}
phase_ms=$(duration_ms "$duration")
primary_transport=tcp
transport=${BENCH_TRANSPORT:-$primary_transport}
pin=${BENCH_PIN:-0}
# Prefixes for the processes' command lines: empty unless pinned (scripts/pinning.sh).
. scripts/pinning.sh
pin_worker=() pin_loadgen=() pin_model=() pin_orchestrator=()
pinning="not pinned to cores (BENCH_PIN=1 pins them)"
if [ "$pin" = 1 ]; then
  plan_pinning "$(getconf _NPROCESSORS_ONLN)"
  echo "bench: $pinning" >&2
fi
# Milliseconds per model scoring round: the phase length, capped at 1s (the figure settles fast).
model_round_ms=$((phase_ms < 1000 ? phase_ms : 1000))
model_round=$(awk -v ms="$model_round_ms" 'BEGIN { print ms / 1000 }')
# The README's "how long" comes from the same counts.
echo "bench: $runs run(s) of 31 phases of $duration and 8 model rounds of ${model_round}s: about $(((runs * (31 * phase_ms + 8 * model_round_ms) + 500) / 1000))s of measuring and $(((runs * 15 * 500 + 500) / 1000))s of warm-ups (0.5s before each of 15 closed loops a run), plus builds, the model memory test and service starts (README.md, Benchmarks: how long it takes)" >&2
mkdir -p bench

(cd orchestrator && CGO_ENABLED=0 go build -trimpath -o ../bin/loadgen ./cmd/loadgen)
(cd orchestrator && CGO_ENABLED=0 go build -trimpath -o ../bin/gateway ./cmd/gateway)
target=$(workers_target)
# Model scoring on one core, the Rust worker's and the Go baseline's rounds alternated, so
# a busy spell on a shared machine slows both languages rather than one.
(cd workers && cargo build --release --locked --quiet -p scorer --example scorer_bench_model)
rust_models=() go_models=()
for ((i = 1; i <= runs; i++)); do
  echo "bench: model scoring on one core, round $i/$runs: Rust worker, then Go baseline" >&2
  ${pin_model[@]+"${pin_model[@]}"} "$target/release/examples/scorer_bench_model" testdata/vectors.json "$model_round" 1 >"bench/rust-model-$i.json"
  ${pin_model[@]+"${pin_model[@]}"} bin/loadgen -model-out "bench/go-model-$i.json" -model workers/scorer/model/model.json \
    -vectors testdata/vectors.json -model-round "${model_round_ms}ms" -runs 1
  rust_models+=("bench/rust-model-$i.json") go_models+=("bench/go-model-$i.json")
done
# Model load memory: worker-kit's model_memory test measures it (Linux only: it reads
# /proc) and writes its figures with its limits (scripts/lib.sh model_memory_figures); the
# targets table judges them. Without figures the rows are left out and the bench goes on.
model_memory=()
if [ "$(uname -s)" = Linux ]; then
  echo "bench: model load memory (worker-kit's model_memory test)" >&2
  if model_memory_figures "$PWD/bench/model-memory.json"; then
    model_memory=(-model-memory "$PWD/bench/model-memory.json")
  fi
fi

# Every worker runs (the orchestrator is ready only when all are); the load
# goes to the primary, scorer, which also serves /v1/score.
# A worker binds only a short socket path (run.sh's uds_path_max says how short), which a deep checkout can exceed: a short temp dir.
sockets=$(mktemp -d)
sink_pid=
worker_pids=()
# On failure, first name any service that died (a readiness wait only says it gave up);
# then kill the rest, quietly.
trap 'status=$?; if [ "$status" -ne 0 ]; then report_exited; fi
rm -rf "$sockets"
kill_quietly ${worker_pids[@]+"${worker_pids[@]}"} ${sink_pid:-} ${alt_pid:-} ${orchestrator_pid:-} ${floor_pid:-}' EXIT
# start_services NAME [SERVER]: starts every worker and the orchestrator (SERVER=gateway: bin/gateway
# in its place, the grpc-gateway baseline) with the environment as it is,
# logging to bench/<service><NAME>.log; each start gets fresh sockets and ports.
start_services() {
  worker_pids=() worker_metrics=()
  if [ "$transport" = uds ]; then
    WORKER_SCORER_ADDR=unix://$sockets/scorer$1.sock
  else
    WORKER_SCORER_ADDR=127.0.0.1:$(bin/loadgen freeport)
  fi
  export WORKER_SCORER_ADDR
  # A known metrics port: loadgen reads the worker's own shed timing from it.
  metrics_addr=127.0.0.1:$(bin/loadgen freeport)
  worker_metrics+=("$metrics_addr")
  service_env scorer
  env "${env_args[@]}" LISTEN_ADDR="$WORKER_SCORER_ADDR" METRICS_ADDR="$metrics_addr" RUST_LOG=warn ${pin_worker[@]+"${pin_worker[@]}"} "$target/release/scorer" >"bench/scorer$1.log" 2>&1 &
  worker_pids+=($!)
  started $! scorer "bench/scorer$1.log"
  worker_addr=$WORKER_SCORER_ADDR
  worker_pid=${worker_pids[0]}
  worker_metrics_url=http://${worker_metrics[0]}/metrics
  http_addr=127.0.0.1:$(bin/loadgen freeport)
  # Both services log at warn here, as the workers do: a benchmark measures the
  # request path, and a JSON access-log line per request costs the orchestrator
  # about a tenth of its CPU (see README "Benchmarks").
  local server=${2:-orchestrator}
  service_env orchestrator
  # Its addresses are bench's own: OPS_LISTEN_ADDR would move /readyz and /metrics off the port bench reads.
  env -u OPS_LISTEN_ADDR "${env_args[@]}" LISTEN_ADDR="$http_addr" LOG_LEVEL=warn ${pin_orchestrator[@]+"${pin_orchestrator[@]}"} "bin/$server" >"bench/$server$1.log" 2>&1 &
  orchestrator_pid=$!
  started "$orchestrator_pid" "$server" "bench/$server$1.log"
}
stop_services() {
  stop "$orchestrator_pid" orchestrator "$orchestrator_grace"
  orchestrator_pid=
  for pid in "${worker_pids[@]}"; do stop "$pid" worker "$worker_grace"; done
  worker_pids=()
}

# Tracing overhead: the HTTP path with tracing off, sampled at 1% and always on, both
# services exporting over OTLP/HTTP to loadgen's discarding sink (what exporting costs
# them in production, minus the collector). Each variant restarts the services; the variants
# alternate run by run, BENCH_RUNS times, so drift on the machine hits all alike.
sink_port=$(bin/loadgen freeport)
bin/loadgen otlp-sink "127.0.0.1:$sink_port" >bench/otlp-sink.log 2>&1 &
sink_pid=$!
started "$sink_pid" otlp-sink bench/otlp-sink.log
tracing_rows=()
# "off" means off, whatever this shell exports, for one service too; the main run below is
# tracing off too.
tracing_vars=(OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL OTEL_TRACES_SAMPLER OTEL_TRACES_SAMPLER_ARG)
for var in "${tracing_vars[@]}"; do
  unset "$var"
  for prefix in "${service_prefixes[@]}"; do unset "$prefix$var"; done
done
for run in $(seq "$runs"); do
  for variant in off sampled always; do
    case $variant in
      off) sampler="none (no OTLP endpoint)" ;;
      sampled)
        sampler="parentbased_traceidratio 0.01"
        export OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.01 ;;
      always)
        sampler="always_on"
        export OTEL_TRACES_SAMPLER=always_on
        unset OTEL_TRACES_SAMPLER_ARG ;;
    esac
    if [ "$variant" != off ]; then
      export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$sink_port OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
    fi
    echo "bench: tracing overhead, run $run/$runs: $variant" >&2
    start_services "-tracing-$variant-$run"
    unset OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_PROTOCOL OTEL_TRACES_SAMPLER OTEL_TRACES_SAMPLER_ARG
    ${pin_loadgen[@]+"${pin_loadgen[@]}"} bin/loadgen -tracing-variant "$variant" -tracing-sampler "$sampler" -tracing-out "bench/tracing-$variant-$run.json" \
      -http "http://$http_addr" -worker-pid "$worker_pid" -orchestrator-pid "$orchestrator_pid" -worker-metrics "$worker_metrics_url" \
      -otlp-sink "http://127.0.0.1:$sink_port" -vectors testdata/vectors.json -duration "$duration" -warmup 500ms -runs 1 \
      -rate "$rate" -concurrency "$concurrency"
    stop_services
    tracing_rows+=("bench/tracing-$variant-$run.json")
  done
done
stop "$sink_pid" otlp-sink "$tool_grace"
sink_pid=

# Coalescing: the HTTP path's single requests with COALESCE=off, then on (the default), each
# variant on freshly started services, alternated run by run; the same phases as above.
coalesce_rows=()
for run in $(seq "$runs"); do
  for variant in off on; do
    echo "bench: coalescing, run $run/$runs: $variant" >&2
    export COALESCE=$variant
    start_services "-coalesce-$variant-$run"
    unset COALESCE
    ${pin_loadgen[@]+"${pin_loadgen[@]}"} bin/loadgen -coalesce-variant "$variant" -coalesce-out "bench/coalesce-$variant-$run.json" \
      -http "http://$http_addr" -worker-pid "$worker_pid" -orchestrator-pid "$orchestrator_pid" -worker-metrics "$worker_metrics_url" \
      -vectors testdata/vectors.json -duration "$duration" -warmup 500ms -runs 1 -rate "$rate" -concurrency "$concurrency"
    stop_services
    coalesce_rows+=("bench/coalesce-$variant-$run.json")
  done
done

# The orchestrator against grpc-gateway (orchestrator/cmd/gateway) on POST /v1/score: one
# run per server in turn, BENCH_RUNS times, each on freshly started services, so drift on
# the machine hits all alike; loadgen reads each server's CPU per request from /proc.
gateway_rows=()
for run in $(seq "$runs"); do
  for variant in orchestrator-coalesce-on grpc-gateway orchestrator-coalesce-off; do
    echo "bench: grpc-gateway comparison, run $run/$runs: $variant" >&2
    case $variant in
      grpc-gateway) start_services "-$variant-$run" gateway ;;
      *) COALESCE=${variant##*-} start_services "-$variant-$run" ;;
    esac
    ${pin_loadgen[@]+"${pin_loadgen[@]}"} bin/loadgen -gateway-variant "$variant" -gateway-out "bench/gateway-$variant-$run.json" \
      -http "http://$http_addr" -worker-pid "$worker_pid" -orchestrator-pid "$orchestrator_pid" -worker-metrics "$worker_metrics_url" \
      -vectors testdata/vectors.json -duration "$duration" -warmup 500ms -concurrency "$concurrency"
    stop_services
    gateway_rows+=("bench/gateway-$variant-$run.json")
  done
done

start_services ""
echo "bench: workers listen on $transport" >&2
# For the verdict's hop per transport: the primary worker once more, on the other transport.
if [ "$transport" = tcp ]; then
  alt_addr=unix://$sockets/scorer-alt.sock
else
  alt_addr=127.0.0.1:$(bin/loadgen freeport)
fi
service_env scorer
env "${env_args[@]}" LISTEN_ADDR="$alt_addr" METRICS_ADDR=127.0.0.1:0 RUST_LOG=warn ${pin_worker[@]+"${pin_worker[@]}"} "$target/release/scorer" >bench/scorer-alt.log 2>&1 &
alt_pid=$!
started "$alt_pid" scorer-alt bench/scorer-alt.log
# The HTTP floor: a bare net/http server on the orchestrator's cores, answering POST
# /v1/score with no work, for the ceiling of the e2e throughput target on this machine.
floor_addr=127.0.0.1:$(bin/loadgen freeport)
${pin_orchestrator[@]+"${pin_orchestrator[@]}"} bin/loadgen http-floor "$floor_addr" >bench/http-floor.log 2>&1 &
floor_pid=$!
started "$floor_pid" http-floor bench/http-floor.log

${pin_loadgen[@]+"${pin_loadgen[@]}"} bin/loadgen -worker "$worker_addr" -worker-pid "$worker_pid" -worker-metrics "$worker_metrics_url" \
  -worker-alt "$alt_addr" -worker-alt-pid "$alt_pid" -pinning "$pinning" \
  -http "http://$http_addr" -orchestrator-pid "$orchestrator_pid" \
  -http-floor "http://$floor_addr" -http-floor-pid "$floor_pid" \
  -preset http -vectors testdata/vectors.json -model workers/scorer/model/model.json \
  -rust-model "$(IFS=,; echo "${rust_models[*]}")" -go-model "$(IFS=,; echo "${go_models[*]}")" ${model_memory[@]+"${model_memory[@]}"} \
  -out bench -duration "$duration" -warmup 500ms -runs "$runs" \
  -rate "$rate" -concurrency "$concurrency" \
  -tracing "$(IFS=,; echo "${tracing_rows[*]}")" -coalescing "$(IFS=,; echo "${coalesce_rows[*]}")" \
  -gateway "$(IFS=,; echo "${gateway_rows[*]}")"

stop_services
stop "$alt_pid" worker "$worker_grace"
alt_pid=
stop "$floor_pid" http-floor "$tool_grace"
floor_pid=
echo "bench: wrote bench/results.json, bench/summary.txt, bench/latency.svg, bench/verdict.svg and bench/verdict.md" >&2
