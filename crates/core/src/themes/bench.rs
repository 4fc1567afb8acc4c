//! Tagging throughput: `cargo test -p advocate-core --release --lib themes::bench -- --ignored
//! --nocapture`. The target is a million comments in under 20 s on one core.

use super::{Lang, Tagger, Taxonomy};
use std::time::Instant;

#[test]
#[ignore = "a micro benchmark: run in release mode with --ignored"]
fn tag_a_million_comments() {
    let built = Instant::now();
    let tagger = Tagger::new(&Taxonomy::builtin());
    let build_time = built.elapsed();
    // Every labelled comment of every language, repeated up to a million.
    let mut comments: Vec<(Lang, &str)> = Vec::new();
    for lang in Lang::ALL {
        for text in [super::eval::dev(lang), super::eval::test(lang)] {
            for line in text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            {
                comments.push((lang, line.splitn(3, '|').nth(2).unwrap_or_default().trim()));
            }
        }
    }
    let total = 1_000_000;
    let start = Instant::now();
    let mut mentions = 0usize;
    let mut chars = 0usize;
    for i in 0..total {
        let (lang, text) = comments[i % comments.len()];
        let a = tagger.analyse(lang, text);
        mentions += a.mentions.len();
        chars += text.len();
    }
    let took = start.elapsed();
    println!(
        "tagger built in {build_time:?}; tagged {total} comments ({} MB, {mentions} mentions) in {took:?}: {:.0} comments/s, {:.2} µs each",
        chars / 1_000_000,
        total as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / total as f64
    );
}
