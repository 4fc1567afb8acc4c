//! Prometheus instruments and their text exposition format: counters, fixed-bucket
//! histograms and families of either by label values, written out for a `/metrics` scrape.
//!
//! Small on purpose (atomics and a map; no crate): the store counts answers and commits
//! with them, the server counts requests, and the server writes all of them out together
//! with gauges read from the database at scrape time. Each instrument belongs to a value
//! (the store handle, the server state), never to a global, so every test server has its
//! own.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, RwLock};

/// A count that only goes up.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

/// Observations counted into fixed buckets (upper bounds, ascending), with their sum.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// One per bound and a last one for +Inf; each counts only its own bucket (the
    /// exposition makes them cumulative).
    buckets: Box<[AtomicU64]>,
    /// The sum as `f64` bits.
    sum: AtomicU64,
}

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Self {
        debug_assert!(bounds.windows(2).all(|w| w[0] < w[1]), "ascending bounds");
        Self {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }

    pub fn observe(&self, value: f64) {
        let bucket = self.bounds.partition_point(|&b| b < value);
        self.buckets[bucket].fetch_add(1, Relaxed);
        // No atomic float add: retry until no other observation slipped in between.
        let _ = self.sum.fetch_update(Relaxed, Relaxed, |bits| {
            Some((f64::from_bits(bits) + value).to_bits())
        });
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Relaxed)).sum()
    }

    pub fn sum(&self) -> f64 {
        f64::from_bits(self.sum.load(Relaxed))
    }
}

/// Latency buckets in seconds (Prometheus' defaults, with finer steps below 5 ms for
/// the database).
pub const SECONDS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Instruments of one name told apart by label values, each made on first use.
#[derive(Debug)]
pub struct Family<M> {
    labels: &'static [&'static str],
    make: fn() -> M,
    members: RwLock<BTreeMap<Vec<String>, Arc<M>>>,
}

impl<M> Family<M> {
    /// Label names, and how to make the instrument for new label values.
    pub fn new(labels: &'static [&'static str], make: fn() -> M) -> Self {
        Self {
            labels,
            make,
            members: RwLock::default(),
        }
    }

    /// The instrument for `values`, one per label name in order. Label values must come
    /// from a small closed set (a route template, a channel): each distinct one is a time
    /// series kept for the life of the process.
    pub fn with(&self, values: &[&str]) -> Arc<M> {
        debug_assert_eq!(values.len(), self.labels.len(), "one value per label");
        let key: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        if let Some(m) = self.read().get(&key) {
            return m.clone();
        }
        let mut members = self.members.write().unwrap_or_else(|e| e.into_inner());
        members
            .entry(key)
            .or_insert_with(|| Arc::new((self.make)()))
            .clone()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Vec<String>, Arc<M>>> {
        // A panic elsewhere while holding the lock leaves the counts intact.
        self.members.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl Family<Counter> {
    pub fn counters(labels: &'static [&'static str]) -> Self {
        Self::new(labels, Counter::default)
    }
}

/// Something the exposition can write samples of.
pub trait Metric {
    /// The `# TYPE` of the metric.
    const TYPE: &'static str;
    /// Writes its samples under `name`, `labels` already formatted (`a="1",b="2"` or empty).
    fn write(&self, name: &str, labels: &str, out: &mut String);
}

impl Metric for Counter {
    const TYPE: &'static str = "counter";

    fn write(&self, name: &str, labels: &str, out: &mut String) {
        sample(out, name, labels, "", self.get() as f64);
    }
}

impl Metric for Histogram {
    const TYPE: &'static str = "histogram";

    fn write(&self, name: &str, labels: &str, out: &mut String) {
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Relaxed);
            let le = self
                .bounds
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |b| number(*b));
            sample(
                out,
                &bucket,
                labels,
                &format!("le=\"{le}\""),
                cumulative as f64,
            );
        }
        sample(out, &format!("{name}_sum"), labels, "", self.sum());
        sample(out, &format!("{name}_count"), labels, "", cumulative as f64);
    }
}

/// A value read at scrape time (a count of rows, a pool's size).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gauge(pub f64);

impl Metric for Gauge {
    const TYPE: &'static str = "gauge";

    fn write(&self, name: &str, labels: &str, out: &mut String) {
        sample(out, name, labels, "", self.0);
    }
}

/// A scrape's text, in the Prometheus text exposition format (version 0.0.4).
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

/// The content type of the text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

impl Exposition {
    /// One unlabelled metric.
    pub fn single<M: Metric>(&mut self, name: &str, help: &str, metric: &M) -> &mut Self {
        self.header::<M>(name, help);
        metric.write(name, "", &mut self.out);
        self
    }

    /// A family: one series per label values that has been used.
    pub fn family<M: Metric>(&mut self, name: &str, help: &str, family: &Family<M>) -> &mut Self {
        let members = family.read();
        self.labelled(
            name,
            help,
            family.labels,
            members.iter().map(|(k, m)| (k.as_slice(), &**m)),
        )
    }

    /// Series given by their label values (gauges read at scrape time).
    pub fn labelled<'a, M: Metric + 'a, V: AsRef<str> + 'a>(
        &mut self,
        name: &str,
        help: &str,
        labels: &[&str],
        series: impl IntoIterator<Item = (&'a [V], &'a M)>,
    ) -> &mut Self {
        self.header::<M>(name, help);
        for (values, metric) in series {
            let labels = labels
                .iter()
                .zip(values)
                .map(|(k, v)| format!("{k}=\"{}\"", escape(v.as_ref())))
                .collect::<Vec<_>>()
                .join(",");
            metric.write(name, &labels, &mut self.out);
        }
        self
    }

    /// Gauges with one label, read at scrape time: `(label value, value)` each.
    pub fn gauges(
        &mut self,
        name: &str,
        help: &str,
        label: &str,
        values: &[(&str, f64)],
    ) -> &mut Self {
        let series: Vec<([&str; 1], Gauge)> =
            values.iter().map(|&(l, v)| ([l], Gauge(v))).collect();
        self.labelled(
            name,
            help,
            &[label],
            series.iter().map(|(l, g)| (l.as_slice(), g)),
        )
    }

    fn header<M: Metric>(&mut self, name: &str, help: &str) {
        let help = help.replace('\\', r"\\").replace('\n', r"\n");
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {}", M::TYPE);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

fn sample(out: &mut String, name: &str, labels: &str, extra: &str, value: f64) {
    let sep = if labels.is_empty() || extra.is_empty() {
        ""
    } else {
        ","
    };
    if labels.is_empty() && extra.is_empty() {
        let _ = writeln!(out, "{name} {}", number(value));
    } else {
        let _ = writeln!(out, "{name}{{{labels}{sep}{extra}}} {}", number(value));
    }
}

/// A sample value or bound as Prometheus reads it (`1`, `0.25`, `+Inf`).
fn number(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else if v.is_nan() {
        "NaN".to_owned()
    } else {
        format!("{v}")
    }
}

/// A label value with `\`, `"` and line breaks escaped, as the format requires.
fn escape(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', r#"\""#)
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_is_written_cumulatively_with_sum_and_count() {
        let h = Histogram::new(&[0.5, 1.0]);
        // A bound is inclusive: 0.5 counts as at most 0.5.
        for v in [0.25, 0.5, 0.75, 8.0] {
            h.observe(v);
        }
        let mut e = Exposition::default();
        e.single("x_seconds", "X.", &h);
        assert_eq!(
            e.finish(),
            "# HELP x_seconds X.\n# TYPE x_seconds histogram\n\
             x_seconds_bucket{le=\"0.5\"} 2\nx_seconds_bucket{le=\"1\"} 3\n\
             x_seconds_bucket{le=\"+Inf\"} 4\nx_seconds_sum 9.5\nx_seconds_count 4\n"
        );
    }

    #[test]
    fn families_keep_one_series_per_label_values_and_escape_them() {
        let f = Family::counters(&["route", "status"]);
        f.with(&["/a/{id}", "200"]).inc();
        f.with(&["/a/{id}", "200"]).add(2);
        f.with(&["say \"hi\"\\\n", "500"]).inc();
        let mut e = Exposition::default();
        e.family("r_total", "Requests.", &f);
        assert_eq!(
            e.finish(),
            "# HELP r_total Requests.\n# TYPE r_total counter\n\
             r_total{route=\"/a/{id}\",status=\"200\"} 3\n\
             r_total{route=\"say \\\"hi\\\"\\\\\\n\",status=\"500\"} 1\n"
        );
    }

    #[test]
    fn a_labelled_histogram_puts_le_after_the_labels() {
        let f = Family::new(&["route"], || Histogram::new(&[1.0]));
        f.with(&["/"]).observe(0.5);
        let mut e = Exposition::default();
        e.family("d_seconds", "D.", &f);
        assert!(e
            .finish()
            .contains("d_seconds_bucket{route=\"/\",le=\"1\"} 1\n"));
    }
}
