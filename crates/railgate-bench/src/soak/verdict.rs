//! The soak's samples and the rule that calls them flat.
//!
//! The rule: the samples taken after the warm-up are split into thirds,
//! and the mean of the last third may exceed the mean of the middle third
//! by at most
//! - resident memory: 10 % of the middle third's mean;
//! - open files: 5;
//! - alive tasks: 10 or 10 % of the middle third's mean, whichever is more.
//!
//! Why the middle third and not the first: a process's resident memory
//! follows its heap's high-water mark, not what it holds now. The
//! allocator keeps freed memory for reuse, so a burst (a provider outage
//! piling up searches, the pool opening a connection with its own page
//! cache) lifts it once and it stays. The first third meets the fault
//! rotation's bursts (it repeats every four minutes) for the first time;
//! after that a high-water mark stands still, while a leak keeps climbing
//! from the middle third to the last. The first third's mean is still
//! reported, so a reader sees the settling too.
//!
//! Means of thirds rather than one sample against another: one sample can
//! land on a burst; a leak moves the whole third. A fall is never a
//! failure. Fewer than three samples cannot be split into thirds: the
//! verdict is then "too short", never "flat".

use serde::Serialize;

/// Resident memory may grow by this share of the middle third's mean.
pub const RSS_GROWTH: f64 = 0.10;
/// Open files may grow by this many.
pub const FD_GROWTH: f64 = 5.0;
/// Alive tasks may grow by this many, or by [`TASK_GROWTH_SHARE`] of the
/// middle third's mean if that is more.
pub const TASK_GROWTH: f64 = 10.0;
pub const TASK_GROWTH_SHARE: f64 = 0.10;

/// One reading, `minute` minutes after the warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Sample {
    pub minute: f64,
    pub rss_kib: u64,
    pub open_fds: u64,
    pub alive_tasks: u64,
    pub threads: u64,
    /// WatchOrder streams open at the moment (railgate's gauge), for
    /// reading the task figure.
    pub watch_streams: u64,
}

/// One series' figures under the rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesVerdict {
    pub name: &'static str,
    /// Reported, not judged: the settling.
    pub first_third_mean: f64,
    pub middle_third_mean: f64,
    pub last_third_mean: f64,
    /// The highest last-third mean the rule allows.
    pub limit: f64,
    pub flat: bool,
}

/// The verdict over every series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// None: too few samples to judge.
    pub series: Option<[SeriesVerdict; 3]>,
}

impl Verdict {
    pub fn judge(samples: &[Sample]) -> Self {
        let third = samples.len() / 3;
        if third == 0 {
            return Self { series: None };
        }
        let first = &samples[..third];
        let last = &samples[samples.len() - third..];
        // The middle third is what lies between; with a count not divisible
        // by three it is the longer one.
        let middle = &samples[third..samples.len() - third];
        let judge = |name, pick: fn(&Sample) -> u64, limit: &dyn Fn(f64) -> f64| {
            let middle_third_mean = mean(middle, pick);
            let last_third_mean = mean(last, pick);
            let limit = limit(middle_third_mean);
            SeriesVerdict {
                name,
                first_third_mean: mean(first, pick),
                middle_third_mean,
                last_third_mean,
                limit,
                flat: last_third_mean <= limit,
            }
        };
        Self {
            series: Some([
                judge("resident memory (KiB)", |sample| sample.rss_kib, &|mean| {
                    mean * (1.0 + RSS_GROWTH)
                }),
                judge("open files", |sample| sample.open_fds, &|mean| {
                    mean + FD_GROWTH
                }),
                judge("alive tasks", |sample| sample.alive_tasks, &|mean| {
                    mean + TASK_GROWTH.max(mean * TASK_GROWTH_SHARE)
                }),
            ]),
        }
    }

    /// Every series within its limit (and enough samples to tell).
    pub fn flat(&self) -> bool {
        self.series
            .as_ref()
            .is_some_and(|series| series.iter().all(|one| one.flat))
    }

    /// "flat", "NOT flat: ..." or "too short to judge".
    pub fn summary(&self) -> String {
        match &self.series {
            None => "too short to judge (fewer than 3 samples)".to_owned(),
            Some(_) if self.flat() => "flat".to_owned(),
            Some(series) => {
                let missed: Vec<&str> = series
                    .iter()
                    .filter(|one| !one.flat)
                    .map(|one| one.name)
                    .collect();
                format!("NOT flat: {} grew past the limit", missed.join(", "))
            }
        }
    }
}

fn mean(samples: &[Sample], pick: fn(&Sample) -> u64) -> f64 {
    samples
        .iter()
        .map(|sample| pick(sample) as f64)
        .sum::<f64>()
        / samples.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(rss: &[u64], fds: &[u64], tasks: &[u64]) -> Vec<Sample> {
        rss.iter()
            .zip(fds)
            .zip(tasks)
            .enumerate()
            .map(|(minute, ((rss_kib, open_fds), alive_tasks))| Sample {
                minute: minute as f64,
                rss_kib: *rss_kib,
                open_fds: *open_fds,
                alive_tasks: *alive_tasks,
                threads: 4,
                watch_streams: 0,
            })
            .collect()
    }

    #[test]
    fn steady_figures_with_noise_are_flat() {
        let verdict = Verdict::judge(&samples(
            &[50_000, 52_000, 51_000, 53_000, 52_500, 51_500],
            &[30, 33, 31, 34, 32, 30],
            &[60, 75, 62, 70, 66, 64],
        ));
        assert!(verdict.flat(), "{verdict:?}");
        assert_eq!(verdict.summary(), "flat");
        let series = verdict.series.unwrap();
        // Thirds of six samples: the middle two against the last two.
        assert_eq!(series[0].first_third_mean, 51_000.0);
        assert_eq!(series[0].middle_third_mean, 52_000.0);
        assert_eq!(series[0].last_third_mean, 52_000.0);
        assert!((series[0].limit - 57_200.0).abs() < 1e-6);
        assert_eq!(series[1].limit, 37.5);
        // 10 tasks is more than 10 % of 66.
        assert_eq!(series[2].limit, 76.0);
    }

    #[test]
    fn a_leak_in_any_series_is_reported_by_name() {
        let growing_rss = Verdict::judge(&samples(
            &[50_000, 55_000, 60_000, 66_000, 72_000, 79_000],
            &[30; 6],
            &[60; 6],
        ));
        assert!(!growing_rss.flat());
        assert_eq!(
            growing_rss.summary(),
            "NOT flat: resident memory (KiB) grew past the limit"
        );
        // Two file descriptors a minute, 6 over the thirds' distance.
        let leaking_fds = Verdict::judge(&samples(
            &[50_000; 9],
            &[30, 32, 34, 36, 38, 40, 42, 44, 46],
            &[200; 9],
        ));
        assert!(!leaking_fds.flat());
        assert!(leaking_fds.summary().contains("open files"));
        // Tasks: 10 % of a large count is the allowance.
        let tasks = Verdict::judge(&samples(&[1; 3], &[1; 3], &[400, 500, 550]));
        assert!(tasks.flat(), "{tasks:?}");
        let tasks = Verdict::judge(&samples(&[1; 3], &[1; 3], &[400, 500, 551]));
        assert!(!tasks.flat());
    }

    /// A high-water mark reached in the first third (a burst that lifted
    /// the heap once) is settling, not a leak: it is flat from the middle
    /// third on. The same rise spread over the whole run is a leak.
    #[test]
    fn a_step_in_the_first_third_is_settling_a_steady_climb_is_not() {
        let step = Verdict::judge(&samples(
            &[97_000, 110_000, 111_000, 109_000, 112_000, 110_000],
            &[30; 6],
            &[60; 6],
        ));
        assert!(step.flat(), "{step:?}");
        let climb = Verdict::judge(&samples(
            &[97_000, 100_000, 103_000, 106_000, 112_000, 118_000],
            &[30; 6],
            &[60; 6],
        ));
        assert!(!climb.flat(), "{climb:?}");
    }

    #[test]
    fn falling_is_flat_and_too_few_samples_are_not_judged() {
        let falling = Verdict::judge(&samples(&[90, 60, 30], &[50, 40, 30], &[90, 60, 30]));
        assert!(falling.flat());
        let short = Verdict::judge(&samples(&[1, 2], &[1, 2], &[1, 2]));
        assert!(!short.flat());
        assert!(short.summary().starts_with("too short"));
    }
}
