//! The SVG plot of Search latency percentiles against offered rate.

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
            .x_desc("offered load, requests/s (open loop)")
            .y_desc("latency, µs (log)")
            .draw()
            .map_err(|error| error.to_string())?;
        let palette = [
            RGBColor(200, 40, 40),
            RGBColor(40, 90, 200),
            RGBColor(30, 140, 60),
        ];
        for curve in series {
            let colour = palette[curve.colour % palette.len()];
            let style = ShapeStyle::from(&colour).stroke_width(if curve.thin { 1 } else { 2 });
            chart
                .draw_series(LineSeries::new(curve.points.iter().copied(), style))
                .map_err(|error| error.to_string())?
                .label(curve.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            chart
                .draw_series(
                    curve
                        .points
                        .iter()
                        .map(|point| Circle::new(*point, 3, colour.filled())),
                )
                .map_err(|error| error.to_string())?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|error| error.to_string())?;
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
    fn no_points_still_draws_empty_axes() {
        assert!(latency_vs_rate("empty", &[]).unwrap().contains("<svg"));
    }
}
