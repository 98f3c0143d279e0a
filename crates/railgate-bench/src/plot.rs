//! The SVG plots: Search latency percentiles against offered rate
//! (docs/PERFORMANCE.md) and the soak's resources over time, one panel
//! per series (docs/RELIABILITY.md).

use plotters::prelude::*;

/// One curve: a name and (offered req/s, latency µs) points.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Index into the palette; curves of one server share a colour.
    pub colour: usize,
    /// Drawn thinner: the baseline under railgate's curve.
    pub thin: bool,
}

/// Renders `series` as an SVG document (log latency axis).
pub fn latency_vs_rate(title: &str, series: &[Series]) -> Result<String, String> {
    latency_against(title, "offered load, requests/s (open loop)", series)
}

/// Renders `series` of latencies against `x_desc` (a linear axis from
/// zero) as an SVG document (log latency axis).
pub fn latency_against(title: &str, x_desc: &str, series: &[Series]) -> Result<String, String> {
    let mut svg = String::new();
    let points = series.iter().flat_map(|curve| curve.points.iter());
    let max_rate = points.clone().map(|(rate, _)| *rate).fold(1.0, f64::max);
    let max_latency = points
        .clone()
        .map(|(_, micros)| *micros)
        .fold(10.0, f64::max);
    let min_latency = points
        .map(|(_, micros)| *micros)
        .fold(max_latency, f64::min)
        .max(1.0);
    {
        let root = SVGBackend::with_string(&mut svg, (900, 540)).into_drawing_area();
        root.fill(&WHITE).map_err(|error| error.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(
                0.0..max_rate * 1.05,
                (min_latency * 0.8..max_latency * 1.25).log_scale(),
            )
            .map_err(|error| error.to_string())?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("latency, µs (log)")
            .draw()
            .map_err(|error| error.to_string())?;
        draw_curves(&mut chart, series)?;
        root.present().map_err(|error| error.to_string())?;
    }
    Ok(svg)
}

/// Renders `series` on log axes both ways: a cost against a size that
/// grows tenfold a step.
pub fn log_log(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
) -> Result<String, String> {
    let mut svg = String::new();
    let points = series.iter().flat_map(|curve| curve.points.iter());
    let bounds = |pick: fn(&(f64, f64)) -> f64| -> (f64, f64) {
        let values = points.clone().map(pick).filter(|value| *value > 0.0);
        let min = values.clone().fold(f64::INFINITY, f64::min);
        let max = values.fold(0.0, f64::max);
        if min.is_finite() {
            (min, max.max(min * 10.0))
        } else {
            (1.0, 10.0)
        }
    };
    let (min_x, max_x) = bounds(|(x, _)| *x);
    let (min_y, max_y) = bounds(|(_, y)| *y);
    {
        let root = SVGBackend::with_string(&mut svg, (900, 540)).into_drawing_area();
        root.fill(&WHITE).map_err(|error| error.to_string())?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(
                (min_x * 0.8..max_x * 1.25).log_scale(),
                (min_y * 0.8..max_y * 1.25).log_scale(),
            )
            .map_err(|error| error.to_string())?;
        chart
            .configure_mesh()
            .x_desc(format!("{x_desc} (log)"))
            .y_desc(format!("{y_desc} (log)"))
            .draw()
            .map_err(|error| error.to_string())?;
        draw_curves(&mut chart, series)?;
        root.present().map_err(|error| error.to_string())?;
    }
    Ok(svg)
}

/// Draws each curve with its points, and the legend.
fn draw_curves<'chart, 'svg: 'chart, X, Y>(
    chart: &mut ChartContext<'chart, SVGBackend<'svg>, Cartesian2d<X, Y>>,
    series: &[Series],
) -> Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let palette = [
        RGBColor(200, 40, 40),
        RGBColor(40, 90, 200),
        RGBColor(30, 140, 60),
    ];
    for curve in series {
        let colour = palette[curve.colour % palette.len()];
        let width = if curve.thin { 1 } else { 2 };
        draw_line(chart, &curve.name, &curve.points, colour, width)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|error| error.to_string())?;
    Ok(())
}

/// One named line through `points`, each point marked, in the legend.
fn draw_line<'chart, 'svg: 'chart, X, Y>(
    chart: &mut ChartContext<'chart, SVGBackend<'svg>, Cartesian2d<X, Y>>,
    name: &str,
    points: &[(f64, f64)],
    colour: RGBColor,
    width: u32,
) -> Result<(), String>
where
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let style = ShapeStyle::from(&colour).stroke_width(width);
    chart
        .draw_series(LineSeries::new(points.iter().copied(), style))
        .map_err(|error| error.to_string())?
        .label(name.to_owned())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    chart
        .draw_series(
            points
                .iter()
                .map(|point| Circle::new(*point, 3, colour.filled())),
        )
        .map_err(|error| error.to_string())?;
    Ok(())
}

/// One panel of [`panels`]: a series over time and, optionally, the
/// limit it must stay under, drawn as a dashed line.
pub struct Panel {
    pub name: String,
    /// (minute, value) points.
    pub points: Vec<(f64, f64)>,
    pub limit: Option<f64>,
}

/// Renders `panels` stacked, each on its own y axis from zero (so a small
/// drift is not magnified into a slope), sharing the x axis (minutes).
pub fn panels(title: &str, x_desc: &str, panels: &[Panel]) -> Result<String, String> {
    let mut svg = String::new();
    let max_x = panels
        .iter()
        .flat_map(|panel| panel.points.iter().map(|(x, _)| *x))
        .fold(1.0, f64::max);
    {
        let height = 60 + 260 * u32::try_from(panels.len().max(1)).unwrap_or(1);
        let root = SVGBackend::with_string(&mut svg, (900, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|error| error.to_string())?;
        let root = root
            .titled(title, ("sans-serif", 20))
            .map_err(|error| error.to_string())?;
        let areas = root.split_evenly((panels.len().max(1), 1));
        let colour = RGBColor(40, 90, 200);
        let limit_colour = RGBColor(200, 40, 40);
        for (panel, area) in panels.iter().zip(areas.iter()) {
            let top = panel
                .points
                .iter()
                .map(|(_, y)| *y)
                .chain(panel.limit)
                .fold(1.0, f64::max)
                * 1.15;
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.name, ("sans-serif", 16))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(72)
                .build_cartesian_2d(0.0..max_x, 0.0..top)
                .map_err(|error| error.to_string())?;
            chart
                .configure_mesh()
                .x_desc(x_desc)
                .draw()
                .map_err(|error| error.to_string())?;
            draw_line(&mut chart, &panel.name, &panel.points, colour, 2)?;
            if let Some(limit) = panel.limit {
                let dashes = DashedLineSeries::new(
                    [(0.0, limit), (max_x, limit)],
                    8,
                    4,
                    ShapeStyle::from(&limit_colour).stroke_width(1),
                );
                chart
                    .draw_series(dashes)
                    .map_err(|error| error.to_string())?
                    .label("flatness limit (last third's mean)")
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], limit_colour)
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::LowerRight)
                .draw()
                .map_err(|error| error.to_string())?;
        }
        root.present().map_err(|error| error.to_string())?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plot_is_an_svg_with_every_curve_named() {
        let series = vec![
            Series {
                name: "railgate p99".into(),
                points: vec![(100.0, 900.0), (200.0, 1_200.0)],
                colour: 0,
                thin: false,
            },
            Series {
                name: "baseline p99".into(),
                points: vec![(100.0, 300.0), (200.0, 320.0)],
                colour: 1,
                thin: true,
            },
        ];
        let svg = latency_vs_rate("Search", &series).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        assert!(svg.contains("railgate p99") && svg.contains("baseline p99"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn panels_draw_each_series_and_its_limit() {
        let panels = vec![
            Panel {
                name: "resident memory (MiB)".into(),
                points: vec![(0.0, 40.0), (1.0, 41.0), (2.0, 40.5)],
                limit: Some(44.6),
            },
            Panel {
                name: "open files".into(),
                points: vec![(0.0, 30.0), (1.0, 31.0), (2.0, 30.0)],
                limit: None,
            },
        ];
        let svg = super::panels("Soak", "minutes", &panels).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("resident memory (MiB)") && svg.contains("open files"));
        assert_eq!(svg.matches("flatness limit").count(), 1);
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(
            super::panels("empty", "minutes", &[])
                .unwrap()
                .contains("<svg")
        );
    }

    #[test]
    fn no_points_still_draws_empty_axes() {
        assert!(latency_vs_rate("empty", &[]).unwrap().contains("<svg"));
        assert!(
            log_log("empty", "orders", "µs", &[])
                .unwrap()
                .contains("<svg")
        );
    }

    #[test]
    fn a_log_log_plot_names_every_curve() {
        let series = vec![Series {
            name: "SQLite GetOrder p99".into(),
            points: vec![(1e4, 310.0), (1e5, 330.0), (1e6, 390.0)],
            colour: 0,
            thin: false,
        }];
        let svg = log_log("Order reads", "orders stored", "latency, µs", &series).unwrap();
        assert!(svg.contains("SQLite GetOrder p99") && svg.contains("orders stored (log)"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
