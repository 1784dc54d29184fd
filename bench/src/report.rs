//! Markdown output: tables with absolute numbers and ratios against the best peer.

use std::fmt::Write as _;

/// Everything printed, kept so `--out FILE` can write the same text.
#[derive(Debug, Default)]
pub struct Out {
    text: String,
    summary: Vec<Vec<String>>,
    locks: Vec<Vec<String>>,
    checked: Vec<Vec<String>>,
    profiled: Vec<Vec<String>>,
}

impl Out {
    pub fn line(&mut self, s: impl AsRef<str>) {
        let s = s.as_ref();
        println!("{s}");
        self.text.push_str(s);
        self.text.push('\n');
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Records one summary row: the best wasm-heap variant (`wh-*`) against the best other peer.
    pub fn summarize(
        &mut self,
        config: String,
        metric: &str,
        rows: &[(&str, f64)],
        higher_is_better: bool,
    ) {
        let better = |a: f64, b: f64| if higher_is_better { a > b } else { a < b };
        let pick = |wh: bool| {
            rows.iter().filter(|(n, v)| n.starts_with("wh-") == wh && *v > 0.0).fold(
                None::<(&str, f64)>,
                |acc, &(n, v)| match acc {
                    Some((_, bv)) if !better(v, bv) => acc,
                    _ => Some((n, v)),
                },
            )
        };
        let (Some((wn, wv)), Some((on, ov))) = (pick(true), pick(false)) else {
            return;
        };
        let fmt = |v: f64| {
            if higher_is_better { rate(v) } else { dur_ns(v as u64) }
        };
        let factor = if higher_is_better { wv / ov } else { ov / wv };
        let verdict = if (0.97..=1.03).contains(&factor) {
            "about even (within 3 %)".to_owned()
        } else if factor >= 1.0 {
            format!("wasm-heap {factor:.2}× better")
        } else {
            format!("wasm-heap {:.2}× worse", 1.0 / factor)
        };
        self.summary.push(vec![
            config,
            metric.to_owned(),
            format!("{wn}: {}", fmt(wv)),
            format!("{on}: {}", fmt(ov)),
            verdict,
        ]);
    }

    /// Records the lock policies' row for one configuration: the main-batch p99 of
    /// `wh-adaptive-nc` and `wh-park-nc` against `wh-spin-nc` (caches off, so every call
    /// takes the lock and only the lock policy differs). Skipped unless all three ran.
    pub fn compare_locks(&mut self, config: String, p99: &[(&str, f64)]) {
        let get = |name: &str| p99.iter().find(|(n, _)| *n == name).map(|&(_, v)| v);
        let (Some(adaptive), Some(park), Some(spin)) =
            (get("wh-adaptive-nc"), get("wh-park-nc"), get("wh-spin-nc"))
        else {
            return;
        };
        let against_spin = |v: f64| {
            if v <= 0.0 || spin <= 0.0 {
                "–".to_owned()
            } else if v <= spin {
                format!("{:.1}× lower", spin / v)
            } else {
                format!("{:.1}× higher", v / spin)
            }
        };
        self.locks.push(vec![
            config,
            dur_ns(spin as u64),
            dur_ns(adaptive as u64),
            against_spin(adaptive),
            dur_ns(park as u64),
            against_spin(park),
        ]);
    }

    /// Records what checked mode and size profiles cost in one configuration: the throughput
    /// of `wh-adaptive` against `wh-checked` and `wh-profile` (the same heap, checked or
    /// recording). Each is skipped unless both of its peers ran.
    pub fn compare_variants(&mut self, config: String, throughput: &[(&str, f64)]) {
        let get = |name: &str| throughput.iter().find(|(n, _)| *n == name).map(|&(_, v)| v);
        let Some(plain) = get("wh-adaptive") else { return };
        let cost = |variant: f64| {
            if variant > 0.0 { format!("{:.2}×", plain / variant) } else { "–".into() }
        };
        if let Some(checked) = get("wh-checked") {
            self.checked.push(vec![config.clone(), rate(plain), rate(checked), cost(checked)]);
        }
        if let Some(profiled) = get("wh-profile") {
            self.profiled.push(vec![config, rate(plain), rate(profiled), cost(profiled)]);
        }
    }

    /// Prints one variant's cost table (see [`Out::compare_variants`]) under `title`, between
    /// book anchors named `anchor`; nothing if it has no rows.
    fn variant_table(
        &mut self,
        rows: Vec<Vec<String>>,
        rates: [&str; 2],
        title: &str,
        anchor: &str,
    ) {
        if rows.is_empty() {
            return;
        }
        let mut t = Table::new(&["workload", rates[0], rates[1], "cost"]);
        for r in rows {
            t.row(r);
        }
        self.line("");
        self.line(format!("## {title}"));
        self.line("");
        self.line(format!("<!-- ANCHOR: {anchor} -->"));
        self.line(t.render());
        self.line(format!("<!-- ANCHOR_END: {anchor} -->"));
    }

    /// Prints the summary tables (those with rows).
    pub fn finish_summary(&mut self) {
        let checked = core::mem::take(&mut self.checked);
        self.variant_table(
            checked,
            ["unchecked ops/s", "checked ops/s"],
            "Checked mode's cost: `wh-checked` against `wh-adaptive`",
            "checked",
        );
        let profiled = core::mem::take(&mut self.profiled);
        self.variant_table(
            profiled,
            ["plain ops/s", "recording ops/s"],
            "Recording a size profile: `wh-profile` against `wh-adaptive`",
            "profile",
        );
        if !self.locks.is_empty() {
            let mut t = Table::new(&[
                "workload",
                "spin p99",
                "adaptive p99",
                "adaptive vs spin",
                "park p99",
                "park vs spin",
            ]);
            for r in core::mem::take(&mut self.locks) {
                t.row(r);
            }
            self.line("");
            self.line("## Lock policies alone: main-batch p99 with caches off (`wh-*-nc`)");
            self.line("");
            self.line("<!-- ANCHOR: locks -->");
            self.line(t.render());
            self.line("<!-- ANCHOR_END: locks -->");
        }
        if self.summary.is_empty() {
            return;
        }
        let mut t =
            Table::new(&["workload", "metric", "best wasm-heap", "best other peer", "verdict"]);
        for r in core::mem::take(&mut self.summary) {
            t.row(r);
        }
        self.line("");
        self.line("## Summary: best wasm-heap variant against the best other peer");
        self.line("");
        // The book includes this table by anchor (book/src/performance.md).
        self.line("<!-- ANCHOR: summary -->");
        self.line(t.render());
        self.line("<!-- ANCHOR_END: summary -->");
    }
}

/// A markdown table.
#[derive(Debug)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Self {
        Table { headers: headers.iter().map(|s| (*s).to_owned()).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "| {} |", self.headers.join(" | "));
        let seps: Vec<&str> = self
            .headers
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { "---" } else { "---:" })
            .collect();
        let _ = writeln!(s, "|{}|", seps.join("|"));
        for r in &self.rows {
            let _ = writeln!(s, "| {} |", r.join(" | "));
        }
        s
    }
}

/// `1234567.0` -> `1.23 M`.
pub fn rate(per_sec: f64) -> String {
    if per_sec >= 1e9 {
        format!("{:.2} G", per_sec / 1e9)
    } else if per_sec >= 1e6 {
        format!("{:.2} M", per_sec / 1e6)
    } else if per_sec >= 1e3 {
        format!("{:.1} k", per_sec / 1e3)
    } else {
        format!("{per_sec:.0}")
    }
}

/// Nanoseconds as a short human duration.
pub fn dur_ns(ns: u64) -> String {
    let ns = ns as f64;
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// How many times worse than the best, for a higher-is-better number (1.00 = best).
pub fn slowdown_rate(value: f64, best: f64) -> String {
    if value <= 0.0 {
        return "–".into();
    }
    fmt_ratio(best / value)
}

/// How many times worse than the best, for a lower-is-better number (1.00 = best).
pub fn slowdown_time(value: f64, best: f64) -> String {
    if best <= 0.0 {
        return if value <= 0.0 { "1.00".into() } else { "–".into() };
    }
    fmt_ratio(value / best)
}

fn fmt_ratio(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}×")
    } else if r >= 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.2}×")
    }
}

/// Percentile (0..=100) of an ascending-sorted slice; 0 when empty.
pub fn percentile(sorted: &[u64], pct: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((pct / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}
