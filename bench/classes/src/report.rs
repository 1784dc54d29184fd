//! The `classes ...` lines of [`measure`](crate::measure) as a markdown table and an SVG
//! chart: each workload's tuned heap against the default classes.

use std::fmt::Write;

/// One `classes WORKLOAD HEAP REQUESTED HELD GROWN HEAP_PEAK` line.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub workload: String,
    pub heap: String,
    pub requested: u64,
    pub held: u64,
    pub grown: u64,
    pub heap_peak: u64,
}

impl Row {
    /// Internal waste at the peak: bytes held in blocks beyond the bytes asked for.
    pub fn waste(&self) -> u64 {
        self.held.saturating_sub(self.requested)
    }
}

/// The rows of `text` (other lines are skipped).
pub fn parse(text: &str) -> Vec<Row> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let [tag, workload, heap, requested, held, grown, heap_peak] = f[..] else {
                return None;
            };
            (tag == "classes").then_some(())?;
            Some(Row {
                workload: workload.to_owned(),
                heap: heap.to_owned(),
                requested: requested.parse().ok()?,
                held: held.parse().ok()?,
                grown: grown.parse().ok()?,
                heap_peak: heap_peak.parse().ok()?,
            })
        })
        .collect()
}

/// Each workload's (default, tuned) pair: the tuned heap is the one derived from that
/// workload's own profile (`tuned-WORKLOAD`).
pub fn pairs(rows: &[Row]) -> Vec<(&Row, &Row)> {
    let mut out = Vec::new();
    for default in rows.iter().filter(|r| r.heap == "default") {
        let tuned_name = format!("tuned-{}", default.workload);
        if let Some(tuned) =
            rows.iter().find(|r| r.workload == default.workload && r.heap == tuned_name)
        {
            out.push((default, tuned));
        }
    }
    out
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn ratio(a: u64, b: u64) -> String {
    if b == 0 { "-".to_owned() } else { format!("{:.2}x", a as f64 / b as f64) }
}

/// The markdown table, with each goal's verdict.
pub fn markdown(rows: &[Row], notes: &[String]) -> String {
    let mut md = String::new();
    for note in notes {
        let _ = writeln!(md, "{note}\n");
    }
    md.push_str("| workload | classes | requested at peak | held in blocks | internal waste | waste vs default | memory grown | vs default | heap's peak | vs default |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    let mut verdicts = Vec::new();
    for (default, tuned) in pairs(rows) {
        for row in [default, tuned] {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} ({:.1} %) | {} | {} | {} | {} | {} |",
                row.workload,
                row.heap,
                kib(row.requested),
                kib(row.held),
                kib(row.waste()),
                100.0 * row.waste() as f64 / row.requested.max(1) as f64,
                ratio(row.waste(), default.waste()),
                mib(row.grown),
                ratio(row.grown, default.grown),
                mib(row.heap_peak),
                ratio(row.heap_peak, default.heap_peak),
            );
        }
        let half = tuned.waste() * 2 <= default.waste();
        let lower = tuned.grown < default.grown;
        verdicts.push(format!(
            "- {}: waste {} the default's ({}: {}); memory grown {} ({}: {}); heap's peak {}",
            default.workload,
            ratio(tuned.waste(), default.waste()),
            "goal at most 0.50x",
            if half { "met" } else { "not met" },
            ratio(tuned.grown, default.grown),
            "goal below 1.00x",
            if lower { "met" } else { "not met" },
            ratio(tuned.heap_peak, default.heap_peak),
        ));
    }
    md.push('\n');
    for v in verdicts {
        md.push_str(&v);
        md.push('\n');
    }
    md
}

/// Bars, tuned against default, for each workload: internal waste (left) and memory grown
/// (right), each panel scaled to its largest bar.
pub fn svg(rows: &[Row]) -> String {
    use crate::chart::{Bar, Group, Panel};
    let pairs = pairs(rows);
    let panel = |title: &str, value: fn(&Row) -> u64, unit: fn(u64) -> String| Panel {
        title: title.to_owned(),
        groups: pairs
            .iter()
            .map(|(default, tuned)| Group {
                name: default.workload.clone(),
                bars: [tuned, default]
                    .iter()
                    .map(|row| Bar {
                        series: row.heap.clone(),
                        value: value(row) as f64,
                        label: unit(value(row)),
                    })
                    .collect(),
            })
            .collect(),
        scale_per_group: false,
    };
    crate::chart::svg(&[
        panel("internal waste at peak", Row::waste, kib),
        panel("memory grown", |r| r.grown, mib),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINES: &str = "noise\nclasses json default 1000 1500 4000000 2000000\nclasses json tuned-json 1000 1200 3000000 1000000\nclasses tree default 10 20 30 40\n";

    #[test]
    fn pairs_each_workload_with_its_own_tuned_heap() {
        let rows = parse(LINES);
        assert_eq!(rows.len(), 3);
        let pairs = pairs(&rows);
        assert_eq!(pairs.len(), 1, "tree has no tuned row");
        assert_eq!((pairs[0].0.waste(), pairs[0].1.waste()), (500, 200));
        let md = markdown(&rows, &[]);
        assert!(md.contains("| json | tuned-json | 1.0 KiB | 1.2 KiB | 0.2 KiB (20.0 %) | 0.40x | 2.86 MiB | 0.75x | 0.95 MiB | 0.50x |"), "{md}");
        assert!(md.contains("- json: waste 0.40x the default's (goal at most 0.50x: met); memory grown 0.75x (goal below 1.00x: met); heap's peak 0.50x"), "{md}");
        assert!(svg(&rows).contains("tuned-json"));
    }
}
