//! Money as it arrives: a decimal string in a currency, turned into whole minor units
//! (cents) so that sums are exact. How many decimals a currency has follows ISO 4217.

/// Currencies without the usual two decimals (ISO 4217 minor units); all others have two.
const ZERO_DECIMALS: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
const THREE_DECIMALS: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

/// Decimals of a currency's minor unit: 0 (JPY), 3 (KWD) or, for all others, 2.
pub fn minor_digits(currency: &str) -> u32 {
    if ZERO_DECIMALS.contains(&currency) {
        0
    } else if THREE_DECIMALS.contains(&currency) {
        3
    } else {
        2
    }
}

/// A non-negative decimal amount such as `19.90` in `currency`, as minor units (1990).
/// Refuses signs, exponents, NaN and more decimals than the currency has.
pub fn parse_amount(field: &str, raw: &str, currency: &str) -> Result<i64, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(format!("{field} is required"));
    }
    if v.starts_with('-') {
        return Err(format!(
            "{field} must not be negative (refunds are not orders); got {v:?}"
        ));
    }
    let (whole, fraction) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || (v.contains('.') && fraction.is_empty())
    {
        return Err(format!(
            "{field} must be a decimal number such as 19.90 (a dot before the decimals, no \
             sign or thousands separator); got {v:?}"
        ));
    }
    let places = minor_digits(currency);
    if fraction.len() > places as usize {
        let has = match places {
            0 => format!("{currency} has no decimals"),
            1 => format!("{currency} has 1 decimal"),
            n => format!("{currency} has {n} decimals"),
        };
        return Err(format!(
            "{field} has more decimals than {currency} allows ({has}); got {v:?}"
        ));
    }
    let padded = format!("{whole}{fraction:0<width$}", width = places as usize);
    padded
        .parse::<i64>()
        .ok()
        .filter(|n| *n <= MAX_MINOR)
        .ok_or_else(|| format!("{field} is too large; got {v:?}"))
}

/// Largest amount accepted, in minor units: sums of many stay far from overflowing.
const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// Minor units as a decimal string in `currency`: 1990 EUR → "19.90", 500 JPY → "500".
pub fn format_amount(minor: i64, currency: &str) -> String {
    let places = minor_digits(currency);
    if places == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(places);
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    let scale = scale as u64;
    format!(
        "{sign}{}.{:0width$}",
        m / scale,
        m % scale,
        width = places as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_become_minor_units() {
        assert_eq!(parse_amount("amount", "19.90", "EUR"), Ok(1990));
        assert_eq!(parse_amount("amount", "19.9", "EUR"), Ok(1990));
        assert_eq!(parse_amount("amount", "19", "EUR"), Ok(1900));
        assert_eq!(parse_amount("amount", "0", "EUR"), Ok(0));
        assert_eq!(parse_amount("amount", "1500", "JPY"), Ok(1500));
        assert_eq!(parse_amount("amount", "1.234", "KWD"), Ok(1234));
    }

    #[test]
    fn bad_amounts_are_named() {
        let err = |raw, cur| parse_amount("amount", raw, cur).unwrap_err();
        assert!(err("-5", "EUR").contains("must not be negative"));
        assert!(err("NaN", "EUR").contains("must be a decimal number"));
        assert!(err("1e3", "EUR").contains("must be a decimal number"));
        assert!(err("1,50", "EUR").contains("must be a decimal number"));
        assert!(err("1.", "EUR").contains("must be a decimal number"));
        assert!(err(".5", "EUR").contains("must be a decimal number"));
        assert_eq!(
            err("1.999", "EUR"),
            "amount has more decimals than EUR allows (EUR has 2 decimals); got \"1.999\""
        );
        assert!(err("1.5", "JPY").contains("JPY has no decimals"));
        assert!(err("99999999999999999999", "EUR").contains("too large"));
        assert_eq!(err(" ", "EUR"), "amount is required");
    }

    #[test]
    fn minor_units_format_back() {
        assert_eq!(format_amount(1990, "EUR"), "19.90");
        assert_eq!(format_amount(5, "EUR"), "0.05");
        assert_eq!(format_amount(1500, "JPY"), "1500");
        assert_eq!(format_amount(1234, "KWD"), "1.234");
    }

    #[test]
    fn currencies_are_three_capitals() {
        assert!(advocate_core::currency::check("currency", "NOK").is_ok());
        for bad in ["nok", "EURO", "E1R", ""] {
            assert!(
                advocate_core::currency::check("currency", bad).is_err(),
                "{bad}"
            );
        }
    }
}
