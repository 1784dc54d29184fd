//! A soak of a `#[wasm_heap]` global allocator: many threads, many operations, every block's
//! content checked, and the heap's own accounting checked at the end.
//!
//! - **Threads**: `--threads` workers (16) run at once. Each lives for a share of the
//!   operations (`--life`), then exits and a new thread takes its slot, so per-thread caches
//!   are orphaned and adopted all through the run.
//! - **Operations** (`--ops`, 10^8): allocator calls (alloc, alloc_zeroed, realloc, dealloc).
//!   A worker keeps a window of live blocks; sizes are mostly 1..=8192 B, one in 1024 a page
//!   run of 64 KiB..=1 MiB; one allocation in 16 is `alloc_zeroed` (checked for zeros), one
//!   in 16 asks for a wider alignment (checked); one removal in 16 is a realloc to a fresh size
//!   (checked to keep the prefix), one in 8 hands the block to another thread.
//! - **Content**: every block holds a pattern derived from its address, size and allocation
//!   serial (see `pattern`), checked when it is freed, reallocated, or handed over, and again
//!   by the thread that receives it.
//! - **Cross-thread frees**: handed-over blocks travel in batches of 32 through per-slot
//!   mutex-protected inboxes; the receiver checks and frees them. A thread that exits leaves
//!   its window to its slot's next thread.
//! - **Accounting**: after every worker has exited and the main thread has freed what was
//!   left in the inboxes, `bytes_requested` and `bytes_in_use` must be back at their values
//!   from before the run (exact then: every worker cache is orphaned, and the main thread's
//!   own is read exactly), and `invalid_frees` must be 0. Thread churn must not multiply
//!   caches: at most one per thread running at once (threads + 1 with the main thread's), all
//!   but the main thread's orphaned at the end.
//!
//! Exits non-zero on any corruption, failed allocation, invalid free, imbalance, stranded or
//! surplus cache, or worker failure. The last line is a `soak-summary key=value ...` line for `scripts/soak.sh`.

use std::process::ExitCode;
use std::thread;
use std::time::Instant;

use wasm_heap::lock::RawLock;
use wasm_heap::{ConfigSource, Heap, Stats};

mod pattern;
mod rng;
mod worker;

use worker::{Shared, Tally};

/// Defaults, the same natively and in wasm: on 2 cores shared with other builds (load average
/// 5 to 20) a 10^8-operation run took 1 to 1.5 minutes natively and 1.5 to 3 in wasmtime.
const DEFAULT_OPS: u64 = 100_000_000;
const DEFAULT_THREADS: usize = 16;
/// Operations a worker does before it exits (10^8 ops: 400 threads in all).
const DEFAULT_LIFE: u64 = 250_000;
/// Short runs still start at least this many threads per slot, so they churn too.
const MIN_GENERATIONS: u64 = 4;
/// Worker stacks: they need little, and in wasm every one is allocated by wasi-libc.
const WORKER_STACK: usize = 256 << 10;

const USAGE: &str = "usage: soak [--ops N] [--threads T] [--life N] [--seed S]
  --ops N      allocator calls in all (default 100000000; 1e8 and 100_000_000 work too)
  --threads T  workers running at once (default 16)
  --life N     calls a worker makes before it exits and a new one starts (default 250000;
               at most ops / (threads * 4), so short runs churn threads too)
  --seed S     random seed (default 1)";

/// The command line.
#[derive(Clone, Debug)]
pub struct Options {
    pub ops: u64,
    pub threads: usize,
    pub life: u64,
    pub seed: u64,
}

impl Options {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut o =
            Options { ops: DEFAULT_OPS, threads: DEFAULT_THREADS, life: DEFAULT_LIFE, seed: 1 };
        while let Some(arg) = args.next() {
            let (key, inline) = match arg.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (arg, None),
            };
            if key == "--help" || key == "-h" {
                return Err(String::new());
            }
            let value = inline.or_else(|| args.next()).ok_or(format!("{key} needs a value"))?;
            let n = parse_count(&value).ok_or(format!("{key}: not a count: {value}"))?;
            match key.as_str() {
                "--ops" => o.ops = n,
                "--threads" => o.threads = usize::try_from(n).map_err(|e| e.to_string())?,
                "--life" => o.life = n,
                "--seed" => o.seed = n,
                _ => return Err(format!("unknown option {key}")),
            }
        }
        if o.ops == 0 || o.threads == 0 || o.life == 0 {
            return Err("--ops, --threads and --life must be at least 1".into());
        }
        Ok(o)
    }

    /// Operations per worker thread.
    fn life_per_thread(&self) -> u64 {
        self.life.min(self.ops / (self.threads as u64 * MIN_GENERATIONS)).max(1)
    }
}

/// `123`, `100_000_000` or `1e8`.
fn parse_count(s: &str) -> Option<u64> {
    let s = s.replace('_', "");
    match s.split_once(['e', 'E']) {
        Some((mantissa, exp)) => {
            mantissa.parse::<u64>().ok()?.checked_mul(10u64.checked_pow(exp.parse().ok()?)?)
        }
        None => s.parse().ok(),
    }
}

/// What the supervisor saw.
#[derive(Debug, Default)]
struct Run {
    tally: Tally,
    threads_started: u64,
    /// Blocks still in inboxes after the last worker exited (freed by the main thread).
    left_over: u64,
}

/// Runs the soak on `heap` (the binary's global allocator, configuration `config`) with the
/// process's command line, prints the report, and says whether everything held.
pub fn run<L: RawLock, C: ConfigSource>(config: &str, heap: &'static Heap<L, C>) -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        // (`--help` is the empty error.)
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("soak: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let target = if cfg!(target_family = "wasm") { "wasm" } else { "native" };
    let c = heap.config();
    // Printed before the baseline: stdout's buffer is allocated on first use and kept.
    println!(
        "soak: {config} heap (lock {:?}, cache {} blocks per class, checked {}) on {target}: \
         {} ops, {} threads at once, {} ops per thread, seed {}",
        L::KIND,
        c.cache_blocks(),
        c.checked(),
        options.ops,
        options.threads,
        options.life_per_thread(),
        options.seed
    );
    let before = heap.stats();
    let start = Instant::now();
    let outcome = supervise(&options);
    let secs = start.elapsed().as_secs_f64();
    let after = heap.stats();
    report(config, target, &options, outcome, &before, &after, secs)
}

/// Keeps `threads` workers running until `ops` operations are assigned, starting a new
/// thread in a slot as soon as its previous one has exited (joined, so its caches are
/// orphaned before the new one attaches), then frees what is left in the inboxes.
fn supervise(o: &Options) -> Result<Run, String> {
    let shared = Shared::new(o.threads);
    let mut run = Run::default();
    let outcome = thread::scope(|scope| {
        let mut slots = Slots { scope, shared: &shared, workers: Vec::new(), assigned: 0 };
        slots.workers.resize_with(o.threads, || None);
        let mut running = 0;
        let needed = o.ops.div_ceil(o.life_per_thread());
        for slot in 0..o.threads {
            if (slot as u64) < needed {
                slots.start(slot, o, &mut run)?;
                running += 1;
            } else {
                shared.close(slot);
            }
        }
        while running > 0 {
            let slot = shared.wait_finished();
            running -= 1;
            let worker = slots.workers[slot].take().expect("a finished slot had a worker");
            run.tally += worker.join().map_err(|_| "a worker panicked".to_owned())?;
            if slots.assigned < o.ops {
                slots.start(slot, o, &mut run)?;
                running += 1;
            } else {
                shared.close(slot);
            }
        }
        Ok(())
    });
    // On an error the scope still joined every worker, so the inboxes hold all there is.
    run.left_over = shared.drain(&mut run.tally);
    outcome.map(|()| run)
}

/// The worker slots of a run: each holds at most one thread at a time.
struct Slots<'scope, 'env> {
    scope: &'scope thread::Scope<'scope, 'env>,
    shared: &'env Shared,
    workers: Vec<Option<thread::ScopedJoinHandle<'scope, Tally>>>,
    /// Operations given to the threads started so far.
    assigned: u64,
}

impl Slots<'_, '_> {
    /// Starts the next thread in `slot` with the next share of the operations.
    fn start(&mut self, slot: usize, o: &Options, run: &mut Run) -> Result<(), String> {
        let budget = o.life_per_thread().min(o.ops - self.assigned);
        let index = run.threads_started;
        let seed = rng::mix(o.seed ^ index.rotate_left(32));
        let shared = self.shared;
        let handle = thread::Builder::new()
            .stack_size(WORKER_STACK)
            .spawn_scoped(self.scope, move || worker::work(shared, slot, budget, seed, index << 40))
            .map_err(|e| format!("starting a worker failed: {e}"))?;
        self.workers[slot] = Some(handle);
        self.assigned += budget;
        run.threads_started += 1;
        Ok(())
    }
}

/// The process's peak resident memory (natively) or the linear memory's size, which only
/// grows, so its value now is its high-water mark (wasm). In bytes, with what it measures.
fn peak_memory() -> Option<(u64, &'static str)> {
    #[cfg(target_family = "wasm")]
    {
        let pages = core::arch::wasm32::memory_size::<0>() as u64;
        Some((pages * wasm_heap::PAGE_SIZE as u64, "memory.size"))
    }
    #[cfg(not(target_family = "wasm"))]
    {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some((kib * 1024, "VmHWM"))
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn report(
    config: &str,
    target: &str,
    o: &Options,
    outcome: Result<Run, String>,
    before: &Stats,
    after: &Stats,
    secs: f64,
) -> ExitCode {
    let (run, failure) = match outcome {
        Ok(run) => (run, None),
        Err(e) => (Run::default(), Some(e)),
    };
    let t = &run.tally;
    let balanced = after.bytes_requested == before.bytes_requested
        && after.bytes_in_use == before.bytes_in_use;
    // Workers are joined before a new thread starts in their slot, so at most `threads`
    // workers and the main thread hold a cache at once; a new thread adopts an orphan before
    // it makes a cache, so no more are ever made. Once every worker has exited, only the main
    // thread's cache may still be attached.
    let caches_adopted = after.caches <= o.threads + 1;
    let caches_released = after.caches - after.orphaned_caches <= 1;
    let peak = peak_memory();
    let rate = t.ops as f64 / secs;
    println!(
        "operations        : {} ({} alloc, of which {} alloc_zeroed; {} realloc; {} free; {} large sizes)",
        t.ops, t.allocs, t.zeroed_allocs, t.reallocs, t.frees, t.large
    );
    println!(
        "cross-thread      : {} blocks handed over, {} freed by the receiving thread, {} left for the main thread",
        t.handed_over, t.received, run.left_over
    );
    println!(
        "thread churn      : {} threads started, {} at once; {} caches made ({}: at most threads + 1), \
         {} orphaned at the end ({}: all but the main thread's)",
        run.threads_started,
        o.threads,
        after.caches,
        if caches_adopted { "ok" } else { "TOO MANY" },
        after.orphaned_caches,
        if caches_released { "ok" } else { "SOME STILL ATTACHED" }
    );
    println!("corruptions       : {}", t.corruptions);
    println!("failed allocations: {}", t.failed);
    println!("invalid frees     : {} (HEAP.stats().invalid_frees)", after.invalid_frees);
    println!(
        "stats balance     : {} (bytes_requested {} -> {}, bytes_in_use {} -> {}; now cached {} B, pending {} B)",
        if balanced { "ok" } else { "IMBALANCED" },
        before.bytes_requested,
        after.bytes_requested,
        before.bytes_in_use,
        after.bytes_in_use,
        after.cached_bytes,
        after.pending_bytes
    );
    match peak {
        Some((bytes, what)) => println!(
            "peak memory       : {:.1} MiB ({what}); heap peak_bytes_in_use {:.1} MiB",
            mib(bytes),
            mib(after.peak_bytes_in_use as u64)
        ),
        None => println!("peak memory       : unknown"),
    }
    println!("time              : {secs:.2} s, {:.2} M ops/s", rate / 1e6);
    let mut problems = Vec::new();
    if let Some(e) = failure {
        problems.push(e);
    }
    if t.corruptions != 0 {
        problems.push(format!("{} corruptions", t.corruptions));
    }
    if t.failed != 0 {
        problems.push(format!("{} failed allocations", t.failed));
    }
    if after.invalid_frees != 0 {
        problems.push(format!("{} invalid frees", after.invalid_frees));
    }
    if !balanced {
        problems.push("stats do not balance".to_owned());
    }
    if !caches_adopted {
        problems.push(format!("{} caches made for {} threads at once", after.caches, o.threads));
    }
    if !caches_released {
        problems.push("an exited worker's cache is still attached".to_owned());
    }
    println!(
        "soak-summary target={target} config={config} threads={} threads_started={} caches={} ops={} \
         corruptions={} failed={} invalid_frees={} balance={} peak_mib={:.1} heap_peak_mib={:.1} \
         secs={secs:.2} mops={:.2} result={}",
        o.threads,
        run.threads_started,
        after.caches,
        t.ops,
        t.corruptions,
        t.failed,
        after.invalid_frees,
        if balanced { "ok" } else { "bad" },
        peak.map_or(0.0, |(b, _)| mib(b)),
        mib(after.peak_bytes_in_use as u64),
        rate / 1e6,
        if problems.is_empty() { "pass" } else { "FAIL" }
    );
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("soak FAILED: {}", problems.join(", "));
        ExitCode::FAILURE
    }
}
