//! Measures sentiment and theme tagging on the hand-labelled comments in `eval/` (see its
//! README). Run `cargo test -p advocate-core themes::eval -- --nocapture` to see the
//! figures; the test fails when the TEST set drops below the floors, set a little under
//! what was measured.

use super::{Lang, Sentiment, Tagger, Taxonomy};
use std::collections::BTreeSet;

struct Labelled<'a> {
    sentiment: Sentiment,
    themes: BTreeSet<&'a str>,
    text: &'a str,
}

fn parse(lang: Lang, text: &str) -> Vec<Labelled<'_>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(n, line)| {
            let mut parts = line.splitn(3, '|').map(str::trim);
            let (Some(label), Some(themes), Some(text)) =
                (parts.next(), parts.next(), parts.next())
            else {
                panic!("{lang} line {}: expected `label | themes | text`", n + 1)
            };
            Labelled {
                sentiment: Sentiment::parse(label)
                    .unwrap_or_else(|| panic!("{lang} line {}: label {label:?}", n + 1)),
                themes: themes
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .collect(),
                text,
            }
        })
        .collect()
}

pub(super) fn dev(lang: Lang) -> &'static str {
    match lang {
        Lang::En => include_str!("eval/dev/en.txt"),
        Lang::Nb => include_str!("eval/dev/nb.txt"),
        Lang::Sv => include_str!("eval/dev/sv.txt"),
        Lang::Da => include_str!("eval/dev/da.txt"),
        Lang::Fi => include_str!("eval/dev/fi.txt"),
        Lang::De => include_str!("eval/dev/de.txt"),
        Lang::Nl => include_str!("eval/dev/nl.txt"),
    }
}

pub(super) fn test(lang: Lang) -> &'static str {
    match lang {
        Lang::En => include_str!("eval/test/en.txt"),
        Lang::Nb => include_str!("eval/test/nb.txt"),
        Lang::Sv => include_str!("eval/test/sv.txt"),
        Lang::Da => include_str!("eval/test/da.txt"),
        Lang::Fi => include_str!("eval/test/fi.txt"),
        Lang::De => include_str!("eval/test/de.txt"),
        Lang::Nl => include_str!("eval/test/nl.txt"),
    }
}

/// Figures for one language and set.
#[derive(Debug, Default)]
struct Scores {
    n: usize,
    correct: usize,
    /// confusion[truth][predicted], in the order positive, neutral, negative.
    confusion: [[usize; 3]; 3],
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Scores {
    fn accuracy(&self) -> f64 {
        self.correct as f64 / self.n as f64
    }
    fn precision(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fp).max(1) as f64
    }
    fn recall(&self) -> f64 {
        self.tp as f64 / (self.tp + self.fn_).max(1) as f64
    }
}

fn index(s: Sentiment) -> usize {
    Sentiment::ALL
        .iter()
        .position(|&x| x == s)
        .expect("three values")
}

fn score(tagger: &Tagger, lang: Lang, set: &[Labelled<'_>], show_errors: bool) -> Scores {
    let mut s = Scores::default();
    for item in set {
        let a = tagger.analyse(lang, item.text);
        s.n += 1;
        s.correct += usize::from(a.sentiment == item.sentiment);
        s.confusion[index(item.sentiment)][index(a.sentiment)] += 1;
        let got: BTreeSet<&str> = a.themes().iter().map(|t| tagger.key(t.theme)).collect();
        s.tp += got.intersection(&item.themes).count();
        s.fp += got.difference(&item.themes).count();
        s.fn_ += item.themes.difference(&got).count();
        if show_errors && (a.sentiment != item.sentiment || got != item.themes) {
            eprintln!(
                "  {lang} want {:?} {:?} got {:?} {:?} ({:.2}): {}",
                item.sentiment, item.themes, a.sentiment, got, a.score, item.text
            );
        }
    }
    s
}

fn report(name: &str, lang: Lang, s: &Scores) {
    let c = &s.confusion;
    println!(
        "{name} {lang}: n={} sentiment accuracy {:.1} % | themes precision {:.1} % recall {:.1} % | \
         confusion (rows truth pos/neu/neg, columns predicted) {:?} {:?} {:?}",
        s.n,
        100.0 * s.accuracy(),
        100.0 * s.precision(),
        100.0 * s.recall(),
        c[0],
        c[1],
        c[2]
    );
}

/// (language, sentiment accuracy, theme precision, theme recall) floors on the TEST set.
/// Measured (2026-12-03): en .84/.809/.861, nb .78/.807/.906, sv .74/.775/.877,
/// da .77/.826/.896, fi .79/.788/.877, de .82/.842/.906, nl .80/.785/.896.
const FLOORS: [(Lang, f64, f64, f64); 7] = [
    (Lang::En, 0.80, 0.77, 0.82),
    (Lang::Nb, 0.74, 0.77, 0.86),
    (Lang::Sv, 0.70, 0.73, 0.83),
    (Lang::Da, 0.73, 0.78, 0.85),
    (Lang::Fi, 0.75, 0.75, 0.83),
    (Lang::De, 0.78, 0.80, 0.86),
    (Lang::Nl, 0.76, 0.74, 0.85),
];

#[test]
fn accuracy_on_the_labelled_comments() {
    let tagger = Tagger::new(&Taxonomy::builtin());
    let show = std::env::var_os("ADVOCATE_EVAL_ERRORS").is_some();
    let mut total = Scores::default();
    for (lang, acc, prec, rec) in FLOORS {
        let d = parse(lang, dev(lang));
        let t = parse(lang, test(lang));
        assert!(t.len() >= 100, "{lang}: only {} test comments", t.len());
        for item in d.iter().chain(&t) {
            for key in &item.themes {
                assert!(
                    tagger.id(key).is_some(),
                    "{lang}: unknown theme {key} in {:?}",
                    item.text
                );
            }
        }
        report("dev ", lang, &score(&tagger, lang, &d, show));
        let s = score(
            &tagger,
            lang,
            &t,
            show && std::env::var_os("ADVOCATE_EVAL_TEST").is_some(),
        );
        report("test", lang, &s);
        assert!(
            s.accuracy() >= acc,
            "{lang}: sentiment accuracy {:.3} < {acc}",
            s.accuracy()
        );
        assert!(
            s.precision() >= prec,
            "{lang}: theme precision {:.3} < {prec}",
            s.precision()
        );
        assert!(
            s.recall() >= rec,
            "{lang}: theme recall {:.3} < {rec}",
            s.recall()
        );
        total.n += s.n;
        total.correct += s.correct;
        total.tp += s.tp;
        total.fp += s.fp;
        total.fn_ += s.fn_;
    }
    println!(
        "test all: n={} sentiment accuracy {:.1} % | themes precision {:.1} % recall {:.1} %",
        total.n,
        100.0 * total.accuracy(),
        100.0 * total.precision(),
        100.0 * total.recall()
    );
}
