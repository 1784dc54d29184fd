//! wasm-heap benchmarks: one binary, natively and in wasmtime (wasm32-wasip1-threads).
//!
//! Every allocator is a `static` instance used through `GlobalAlloc` (the process's own
//! `#[global_allocator]` stays std's), so one run measures every peer in turn under the same
//! conditions and prints ratios against the best. See `bench/README.md`.

mod block;
mod chart;
mod high_water;
mod peers;
mod report;
mod rng;
mod seed_ops;
mod workloads;

use report::Out;
use workloads::Settings;

const USAGE: &str = "\
usage: wasm-heap-bench [WORKLOAD...] [options]

workloads (default: all, in this order):
  seed       T workers churn 1..=8192 B while the main thread times batches of 100
  larson     cross-thread frees: arrays of live blocks rotate between threads
  prodcons   one producer allocates, C consumers free
  pages      page manager vs a linear-scan page table at 10/50/90 % occupancy
  stores     one store, plain vs atomic (why the caches' counters are plain)
  all        all of the above

memory (one peer and one case per process; scripts/bench.sh runs them all):
  footprint --case C --peers P   prints the memory peer P grew by in case C (`--list-cases`);
                                 `--secs` as above
  footprint-report FILE          tables from the `footprint` lines in FILE (`--out` as above;
                                 `--svg SVG`: also a chart of them)

options:
  --peers a,b,c     only these peers (names, or prefixes ending in *: --peers 'wh-*,std')
  --secs S          measured seconds per (peer, configuration)   [default 1.0]
  --threads 1,4,16  thread counts for seed and larson             [default 1,4,16]
  --consumers 1,4   consumer counts for prodcons                 [default 1,4]
  --quick           --secs 0.2 --threads 1,4 --consumers 1 (smoke run)
  --out FILE        also write the markdown to FILE (in wasmtime, preopen its dir)
  --note TEXT       a line for the header (e.g. the machine's load); repeatable
  --list            list the peers of this build and exit
  --list-cases      list the footprint cases and exit";

fn parse_list(v: &str) -> Vec<usize> {
    v.split(',')
        .map(|x| x.trim().parse().unwrap_or_else(|_| die(&format!("not a number: {x:?}"))))
        .collect()
}

fn die(msg: &str) -> ! {
    eprintln!("error: {msg}\n\n{USAGE}");
    std::process::exit(2)
}

fn main() {
    // The main thread plays a browser's main thread, which must never block: `adaptive`
    // then spins on it and has threads that may block give way (`park` and `spin` ignore
    // this).
    #[cfg(feature = "wasm-heap")]
    wasm_heap::thread::declare_must_not_block();
    let mut args = std::env::args().skip(1);
    let mut settings =
        Settings { secs: 1.0, threads: vec![1, 4, 16], consumers: vec![1, 4], seed: 0x5EED };
    let mut work: Vec<String> = Vec::new();
    let mut peer_filter: Option<String> = None;
    let mut out_path: Option<String> = None;
    let mut notes: Vec<String> = Vec::new();
    let mut case: Option<String> = None;
    let mut report_from: Option<String> = None;
    let mut svg_path: Option<String> = None;
    while let Some(a) = args.next() {
        let mut val =
            |name: &str| args.next().unwrap_or_else(|| die(&format!("{name} needs a value")));
        match a.as_str() {
            "--peers" => peer_filter = Some(val("--peers")),
            "--secs" => settings.secs = val("--secs").parse().unwrap_or_else(|_| die("bad --secs")),
            "--threads" => settings.threads = parse_list(&val("--threads")),
            "--consumers" => settings.consumers = parse_list(&val("--consumers")),
            "--quick" => {
                settings.secs = 0.2;
                settings.threads = vec![1, 4];
                settings.consumers = vec![1];
            }
            "--out" => out_path = Some(val("--out")),
            "--svg" => svg_path = Some(val("--svg")),
            "--note" => notes.push(val("--note")),
            "--case" => case = Some(val("--case")),
            "--list-cases" => {
                for c in workloads::footprint::CASES {
                    println!("{}", c.name);
                }
                return;
            }
            "footprint-report" => report_from = Some(val("footprint-report")),
            "--list" => {
                for p in peers::all() {
                    println!("{:16} {}", p.name, p.what);
                }
                return;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            "seed" | "larson" | "prodcons" | "pages" | "stores" | "footprint" => work.push(a),
            "all" => {
                work.extend(["seed", "larson", "prodcons", "pages", "stores"].map(String::from))
            }
            _ => die(&format!("unknown argument {a:?}")),
        }
    }
    if let Some(path) = report_from {
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| die(&format!("reading {path}: {e}")));
        let mut out = Out::default();
        workloads::footprint::report(&text, &mut out);
        write_out(&out, out_path.as_deref());
        if let Some(svg) = svg_path {
            std::fs::write(&svg, workloads::footprint::svg(&text))
                .unwrap_or_else(|e| die(&format!("writing {svg}: {e}")));
        }
        return;
    }
    if work.iter().any(|w| w == "footprint") {
        let case = case.unwrap_or_else(|| die("footprint needs --case"));
        let peers = peers::select(peer_filter.as_deref());
        let [peer] = peers.as_slice() else { die("footprint measures one peer: --peers NAME") };
        workloads::footprint::run(peer, &case, &settings);
        return;
    }
    if work.is_empty() {
        work.extend(["seed", "larson", "prodcons", "pages", "stores"].map(String::from));
    }
    let peers = peers::select(peer_filter.as_deref());

    let mut out = Out::default();
    let target = if cfg!(target_family = "wasm") {
        "wasm32-wasip1-threads (wasmtime)"
    } else {
        std::env::consts::ARCH
    };
    out.line(format!("# wasm-heap benchmarks: {target}"));
    out.line("");
    out.line(format!(
        "Release build. Workloads: {}; {} s per row; threads {:?}; consumers {:?}. Cores seen: {}.",
        work.join(", "),
        settings.secs,
        settings.threads,
        settings.consumers,
        std::thread::available_parallelism().map_or("?".into(), |n| n.to_string())
    ));
    for n in &notes {
        out.line("");
        out.line(n);
    }
    out.line("");
    out.line("Peers:");
    out.line("");
    for p in &peers {
        out.line(format!("- `{}`: {}", p.name, p.what));
    }
    if !cfg!(feature = "wasm-heap") {
        out.line("- (wasm-heap itself: not in this build; the runtime did not compile)");
    }
    out.line("");
    out.line(
        "Slowdown = how many times worse than the best peer of the same table (1.00 = best). \
         Lock counters are wasm-heap's `Stats::lock_contended` / `lock_waits` deltas over the row.",
    );
    for w in &work {
        out.line("");
        let t0 = std::time::Instant::now();
        match w.as_str() {
            "seed" => workloads::seed::run(&peers, &settings, &mut out),
            "larson" => workloads::larson::run(&peers, &settings, &mut out),
            "prodcons" => workloads::prodcons::run(&peers, &settings, &mut out),
            "pages" => workloads::pages::run(&settings, &mut out),
            "stores" => workloads::stores::run(&settings, &mut out),
            _ => unreachable!(),
        }
        eprintln!("[{w} took {:.1} s{}]", t0.elapsed().as_secs_f64(), memory_note());
    }
    out.finish_summary();
    write_out(&out, out_path.as_deref());
}

/// Writes what was printed to `path`, if given.
fn write_out(out: &Out, path: Option<&str>) {
    if let Some(path) = path
        && let Err(e) = std::fs::write(path, out.text())
    {
        eprintln!("error: writing {path}: {e}");
        std::process::exit(1);
    }
}

/// In wasm, how big the linear memory has grown (every peer grows it and none can shrink it).
fn memory_note() -> String {
    #[cfg(target_family = "wasm")]
    {
        format!("; wasm memory now {} MiB", core::arch::wasm32::memory_size(0) * 64 / 1024)
    }
    #[cfg(not(target_family = "wasm"))]
    String::new()
}
