#!/usr/bin/env bash
# The soak (examples/soak): 16 threads make 10^8 allocator calls on the #[wasm_heap] global
# allocator (sizes mostly 1..=8192 B, some 64 KiB..1 MiB page runs, reallocs, alloc_zeroed),
# fill every block with a pattern of its address, size and serial and check it on free and on
# hand-over, free blocks on other threads, and exit threads and start new ones all the way
# through. At the end the heap's stats must balance: bytes_requested and bytes_in_use back at
# their starting values, no invalid frees. Runs each heap configuration natively and in
# wasmtime (wasm32-wasip1-threads, through the cargo runner in .cargo/config.toml), then
# prints a summary table. Not run in CI: a full run takes minutes (scripts/test.sh runs
# --quick).
#
# Usage: scripts/soak.sh [--quick] [--ops N] [--threads T] [--config default|checked|all]
#                        [--target native|wasm|all] [-- more soak options, e.g. --seed 7]
#   --quick    --ops 200000: a few seconds for all four runs
#   --ops N    allocator calls per run (default: the program's, 10^8)
#   --threads  workers running at once (default: the program's, 16)
#   --config   default: per-thread caches, unchecked frees (binary `soak`);
#              checked: cache = 0, checked = true (binary `soak-checked`); all (default): both
#   --target   native, wasm or all (default)
#   SOAK_LOG_DIR  where each run's full report goes (default: target/soak)
#
# Exits non-zero if any run reports a corruption, a failed allocation, an invalid free, an
# imbalance, or fails to run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

WASM_TARGET=wasm32-wasip1-threads
configs=(default checked)
targets=(native wasm)
soak_args=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) soak_args+=(--ops 200000) ;;
    --ops|--threads) [ $# -ge 2 ] || usage; soak_args+=("$1" "$2"); shift ;;
    --config)
      [ $# -ge 2 ] || usage
      case "$2" in default|checked) configs=("$2") ;; all) ;; *) usage ;; esac; shift ;;
    --target)
      [ $# -ge 2 ] || usage
      case "$2" in native|wasm) targets=("$2") ;; all) ;; *) usage ;; esac; shift ;;
    --) shift; soak_args+=("$@"); break ;;
    *) usage ;;
  esac
  shift
done

log_dir=${SOAK_LOG_DIR:-target/soak}
mkdir -p "$log_dir"
log() { printf '[soak] %s\n' "$*" >&2; }
binary() { if [ "$1" = default ]; then echo soak; else echo soak-checked; fi; }
target_flag() { if [ "$1" = wasm ]; then echo "--target=$WASM_TARGET"; fi; }

for target in "${targets[@]}"; do
  if [ "$target" = wasm ]; then scripts/install-tools.sh wasi; fi
  # One build per target makes both binaries; the runs below then only start them.
  log "building ($target)"
  cargo build --release -p wasm-heap-soak $(target_flag "$target")
done

failed=0
summaries=()
for target in "${targets[@]}"; do
  for config in "${configs[@]}"; do
    out=$log_dir/$target-$config.txt
    log "$target, $config heap: soak ${soak_args[*]} (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    # `cargo run` starts wasm through the workspace's runner (wasmtime with threads).
    if ! cargo run -q --release -p wasm-heap-soak --bin "$(binary "$config")" \
        $(target_flag "$target") -- "${soak_args[@]}" | tee "$out"; then
      failed=1
    fi
    summary=$(grep '^soak-summary ' "$out" || true)
    if [ -z "$summary" ]; then
      failed=1
      summary="soak-summary target=$target config=$config result=DID-NOT-FINISH"
    fi
    summaries+=("$summary")
  done
done

# The summary table, from each run's `soak-summary key=value ...` line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" ${1#soak-summary }"; }
printf '\n%-7s %-8s %11s %7s %8s %7s %8s %6s %9s %9s %8s %8s %6s\n' target config operations \
  corrupt invalid balance threads caches "peak MiB" "heap MiB" "time s" "M ops/s" result
for s in "${summaries[@]}"; do
  printf '%-7s %-8s %11s %7s %8s %7s %8s %6s %9s %9s %8s %8s %6s\n' \
    "$(field "$s" target)" "$(field "$s" config)" "$(field "$s" ops)" \
    "$(field "$s" corruptions)" "$(field "$s" invalid_frees)" "$(field "$s" balance)" \
    "$(field "$s" threads_started)" "$(field "$s" caches)" "$(field "$s" peak_mib)" \
    "$(field "$s" heap_peak_mib)" "$(field "$s" secs)" "$(field "$s" mops)" "$(field "$s" result)"
done
printf '(threads: threads started in all; caches: per-thread caches made; peak MiB: VmHWM natively, memory.size in wasm; heap MiB: peak_bytes_in_use; reports in %s)\n' "$log_dir"
if [ "$failed" != 0 ]; then
  log "FAILED"
  exit 1
fi
log "all runs passed"
