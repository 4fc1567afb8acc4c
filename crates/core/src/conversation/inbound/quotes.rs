//! The customer's own words in a reply: the earlier message that mail clients quote below
//! it, and the signature, are cut off. When in doubt text is kept — a reply that still
//! shows a quote is better than an answer lost.

/// Verbs of attribution lines ("On … wrote:", "Den … skrev:", "Am … schrieb …:",
/// "Op … schreef …:", "… kirjoitti:").
const ATTRIBUTION_VERBS: [&str; 5] = ["wrote", "skrev", "schrieb", "schreef", "kirjoitti"];

/// The middle of "-----Original Message-----" lines in the seven languages, lowercase.
const ORIGINAL_MESSAGE: [&str; 12] = [
    "original message",
    "forwarded message",
    "opprinnelig melding",
    "videresendt melding",
    "ursprungligt meddelande",
    "vidarebefordrat meddelande",
    "oprindelig meddelelse",
    "videresendt meddelelse",
    "alkuperäinen viesti",
    "ursprüngliche nachricht",
    "weitergeleitete nachricht",
    "oorspronkelijk bericht",
];

/// The first line of a header block that Outlook writes above the quoted message.
const FROM_LABELS: [&str; 6] = ["from:", "fra:", "från:", "lähettäjä:", "von:", "van:"];
/// A line that follows it within a few lines.
const SENT_LABELS: [&str; 10] = [
    "sent:",
    "date:",
    "sendt:",
    "dato:",
    "skickat:",
    "datum:",
    "lähetetty:",
    "päivämäärä:",
    "gesendet:",
    "verzonden:",
];

/// `text` without the quoted earlier message and the signature, trimmed.
pub fn strip_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for i in 0..lines.len() {
        if is_signature_separator(lines[i])
            || is_original_message_line(lines[i])
            || is_outlook_header_block(&lines[i..])
        {
            end = i;
            break;
        }
        if let Some(attribution_lines) = attribution_at(&lines, i) {
            if !is_interleaved(&lines[i + attribution_lines..]) {
                end = i;
                break;
            }
        }
    }
    let mut kept = &lines[..end];
    let mut dropped_quote = false;
    while let Some((last, rest)) = kept.split_last() {
        let t = last.trim();
        let separator = !t.is_empty() && t.chars().all(|c| matches!(c, '_' | '-' | '='));
        // "Anna wrote:" without a date is no sure attribution, but above a dropped
        // quote it is one.
        let loose_attribution = dropped_quote && t.ends_with(':') && has_attribution_verb(t);
        if t.starts_with('>') {
            dropped_quote = true;
            kept = rest;
        } else if t.is_empty() || separator || loose_attribution {
            kept = rest;
        } else {
            break;
        }
    }
    let reply = kept.join("\n").trim().to_owned();
    if reply.is_empty() {
        // Nothing of the customer's own was found: keep everything rather than nothing.
        return text.trim().to_owned();
    }
    reply
}

/// "-- " on its own line (some clients drop the trailing space).
fn is_signature_separator(line: &str) -> bool {
    line == "-- " || line.trim_end() == "--"
}

fn is_original_message_line(line: &str) -> bool {
    let t = line.trim().to_lowercase();
    let inner = t.trim_matches(|c: char| c == '-' || c == ' ');
    t.starts_with("--") && ORIGINAL_MESSAGE.contains(&inner)
}

/// An Outlook header block: "From: …" (bold "*From:*" once turned from HTML) with a
/// "Sent:" or "Date:" line among the next four.
fn is_outlook_header_block(lines: &[&str]) -> bool {
    let label = |line: &str| line.trim().trim_start_matches('*').to_lowercase();
    let starts_with_any = |line: &str, labels: &[&str]| {
        let l = label(line);
        labels.iter().any(|p| l.starts_with(p))
    };
    let Some((first, rest)) = lines.split_first() else {
        return false;
    };
    starts_with_any(first, &FROM_LABELS)
        && rest
            .iter()
            .take(4)
            .any(|line| starts_with_any(line, &SENT_LABELS))
}

/// How many lines (1 or 2) an attribution line starting at `i` takes, if one does.
fn attribution_at(lines: &[&str], i: usize) -> Option<usize> {
    if is_attribution(lines[i]) {
        return Some(1);
    }
    // Wrapped over two lines ("… at 10:00 AM Kari <" / "kari@acme.test> wrote:"): the
    // first holds the time and is no finished sentence; the second has no time of its own
    // (else it is a whole attribution after a line of the person's text).
    let next = lines.get(i + 1)?;
    let first = lines[i].trim();
    let is_start = has_time(first) && !first.ends_with(['.', '!', '?', ':']) && !has_time(next);
    (is_start && is_attribution(&format!("{first} {}", next.trim()))).then_some(2)
}

/// A clock time: "10:00", "9.30".
fn has_time(line: &str) -> bool {
    let b = line.as_bytes();
    b.windows(4).any(|w| {
        w[0].is_ascii_digit()
            && matches!(w[1], b':' | b'.')
            && w[2].is_ascii_digit()
            && w[3].is_ascii_digit()
    })
}

/// "On 1 Dec 2026, Anna <anna@example.com> wrote:" and its translations: ends with a
/// colon, has an attribution verb as a word, and a date or an address (so "Here is what
/// I wrote:" is not one).
fn is_attribution(line: &str) -> bool {
    let t = line.trim();
    if !t.ends_with(':') || t.chars().count() > 300 || t.starts_with('>') {
        return false;
    }
    has_attribution_verb(t) && t.chars().any(|c| c.is_ascii_digit() || c == '@')
}

fn has_attribution_verb(line: &str) -> bool {
    line.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| ATTRIBUTION_VERBS.contains(&word))
}

/// Whether the text after an attribution answers between quoted lines: some quoted
/// lines followed by the person's own text (before any signature).
fn is_interleaved(after: &[&str]) -> bool {
    let mut seen_quote = false;
    for line in after {
        if is_signature_separator(line) {
            return false;
        }
        let t = line.trim();
        if t.starts_with('>') {
            seen_quote = true;
        } else if seen_quote && !t.is_empty() {
            return true;
        }
    }
    false
}
