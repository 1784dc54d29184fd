//! Horizontal bar charts as SVG for the benchmark reports: groups of bars, one group per
//! workload or case, each bar labelled with its figure and its series (peer or heap). Shared by
//! the main benchmark (`footprint-report --svg`) and `bench/classes` (by `#[path]`).

use std::fmt::Write;

/// One bar: its series name, its value (what its length shows) and its label.
#[derive(Clone, Debug)]
pub struct Bar {
    pub series: String,
    pub value: f64,
    pub label: String,
}

/// A group of bars under one name.
#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    pub bars: Vec<Bar>,
}

/// A panel: a title over groups, bars scaled to the panel's largest value, or to each
/// group's own (for groups whose figures differ by orders of magnitude, compared within).
#[derive(Clone, Debug)]
pub struct Panel {
    pub title: String,
    pub groups: Vec<Group>,
    pub scale_per_group: bool,
}

const BAR_H: f64 = 14.0;
const BAR_GAP: f64 = 2.0;
const GROUP_GAP: f64 = 12.0;
const NAME_W: f64 = 110.0;
const PANEL_W: f64 = 360.0;
/// Room on the right of the longest bar for its label.
const LABEL_W: f64 = 150.0;
/// Bar colours by series, in order of first appearance; the first is the highlighted one.
const COLOURS: [&str; 6] = ["#2b6cb0", "#999999", "#c05621", "#2f855a", "#6b46c1", "#b7791f"];

/// The panels side by side, group names on the left (from the first panel).
pub fn svg(panels: &[Panel]) -> String {
    let mut series: Vec<&str> = Vec::new();
    for bar in panels.iter().flat_map(|p| &p.groups).flat_map(|g| &g.bars) {
        if !series.contains(&bar.series.as_str()) {
            series.push(&bar.series);
        }
    }
    let colour = |name: &str| {
        let i = series.iter().position(|s| *s == name).unwrap_or(0);
        COLOURS[i % COLOURS.len()]
    };
    let group_heights: Vec<f64> = panels.first().map_or(Vec::new(), |p| {
        p.groups.iter().map(|g| g.bars.len() as f64 * (BAR_H + BAR_GAP) + GROUP_GAP).collect()
    });
    let top = 36.0;
    let h = top + group_heights.iter().sum::<f64>() + 10.0;
    let w = NAME_W + panels.len() as f64 * (PANEL_W + 20.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    for (p, panel) in panels.iter().enumerate() {
        let x0 = NAME_W + p as f64 * (PANEL_W + 20.0);
        let _ =
            writeln!(s, "<text x=\"{x0}\" y=\"20\" font-weight=\"bold\">{}</text>", panel.title);
        let largest = |bars: &mut dyn Iterator<Item = &Bar>| {
            bars.map(|b| b.value).fold(0.0f64, f64::max).max(f64::MIN_POSITIVE)
        };
        let panel_max = largest(&mut panel.groups.iter().flat_map(|g| &g.bars));
        let mut y = top;
        for (g, group) in panel.groups.iter().enumerate() {
            let max =
                if panel.scale_per_group { largest(&mut group.bars.iter()) } else { panel_max };
            if p == 0 {
                let _ = writeln!(s, "<text x=\"4\" y=\"{:.1}\">{}</text>", y + 11.0, group.name);
            }
            for (i, bar) in group.bars.iter().enumerate() {
                let by = y + i as f64 * (BAR_H + BAR_GAP);
                let len = (PANEL_W - LABEL_W) * bar.value.max(0.0) / max;
                let _ = writeln!(
                    s,
                    "<rect x=\"{x0}\" y=\"{by:.1}\" width=\"{len:.1}\" height=\"{BAR_H}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\">{} {}</text>",
                    colour(&bar.series),
                    x0 + len + 4.0,
                    by + 11.0,
                    bar.label,
                    bar.series
                );
            }
            y += group_heights.get(g).copied().unwrap_or(0.0);
        }
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_panels_largest_and_keep_their_series_colour() {
        let bar = |series: &str, value: f64| Bar {
            series: series.to_owned(),
            value,
            label: format!("{value}"),
        };
        let panels = [Panel {
            title: "t".to_owned(),
            groups: vec![
                Group { name: "a".to_owned(), bars: vec![bar("x", 2.0), bar("y", 1.0)] },
                Group { name: "b".to_owned(), bars: vec![bar("y", 4.0)] },
            ],
            scale_per_group: false,
        }];
        let full = PANEL_W - LABEL_W;
        let width =
            |w: f64, colour: &str| format!("width=\"{w:.1}\" height=\"14\" fill=\"{colour}\"");
        let out = svg(&panels);
        assert!(out.contains(&width(full / 2.0, "#2b6cb0")), "{out}");
        assert!(out.contains(&width(full / 4.0, "#999999")), "{out}");
        assert!(out.contains(&width(full, "#999999")), "{out}");
        assert_eq!(out.matches("<rect x=").count(), 3);
        // Scaled within each group: each group's largest bar is full length.
        let per_group = [Panel { scale_per_group: true, ..panels[0].clone() }];
        let out = svg(&per_group);
        assert!(out.contains(&width(full, "#2b6cb0")), "{out}");
        assert!(out.contains(&width(full / 2.0, "#999999")), "{out}");
    }
}
