//! `classes-report LINES MD SVG [NOTE...]`: the table and chart of the `classes ...` lines in
//! LINES. `classes-report --workloads` lists the workloads (for scripts/bench.sh).
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--workloads") {
        println!("{}", wasm_heap_bench_classes::WORKLOADS.join(" "));
        return;
    }
    let [lines, md, svg, notes @ ..] = &args[..] else {
        eprintln!("usage: classes-report LINES MD SVG [NOTE...] | --workloads");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(lines).unwrap_or_else(|e| panic!("{lines}: {e}"));
    let rows = wasm_heap_bench_classes::report::parse(&text);
    std::fs::write(md, wasm_heap_bench_classes::report::markdown(&rows, notes)).unwrap();
    std::fs::write(svg, wasm_heap_bench_classes::report::svg(&rows)).unwrap();
}
