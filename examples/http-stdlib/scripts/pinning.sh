# shellcheck shell=bash
# Sourced by bench.sh: which cores BENCH_PIN=1 gives each process of the bench.
# shellcheck disable=SC2034 # sets pin_* and pinning for bench.sh, which reads them

# plan_pinning CORES: for a machine with CORES online, sets the taskset prefixes
# pin_worker, pin_orchestrator, pin_loadgen and pin_model (empty arrays when
# unpinned) and pinning, which says how, for the report (it starts "pinned" only
# when the processes are).
#   3+ cores  loadgen and the orchestrator one core each, the worker(s) the rest.
#   2 cores   loadgen one core, the services the other. Pinned or not, the
#             services share their cores through the orchestrator, but now
#             loadgen's CPU no longer competes with what it measures, and the
#             rows that drive the worker alone (direct gRPC, the ScoreBatch
#             overload, while the orchestrator idles) have a core to themselves.
#   1 core, or no taskset: nothing is pinned, and pinning says why.
# The single-core model rounds (pin_model) run both languages on one core, the
# worker's first.
plan_pinning() {
  local cores=$1
  pin_worker=() pin_orchestrator=() pin_loadgen=() pin_model=()
  if ! command -v taskset >/dev/null; then
    pinning="not pinned: BENCH_PIN=1 needs taskset (util-linux)"
    return
  fi
  if [ "$cores" -ge 3 ]; then
    pin_worker=(taskset -c "0-$((cores - 3))")
    pin_orchestrator=(taskset -c "$((cores - 2))")
    pin_loadgen=(taskset -c "$((cores - 1))")
    pinning="pinned: worker cores 0-$((cores - 3)), orchestrator core $((cores - 2)), loadgen core $((cores - 1))"
  elif [ "$cores" -eq 2 ]; then
    pin_worker=(taskset -c 0)
    pin_orchestrator=(taskset -c 0)
    pin_loadgen=(taskset -c 1)
    pinning="pinned: worker and orchestrator core 0 (shared: 2 cores), loadgen core 1"
  else
    pinning="not pinned: BENCH_PIN=1 needs 2 cores (services, loadgen), this machine has $cores"
    return
  fi
  pin_model=(taskset -c 0)
}
