//! Currencies as ISO 4217 names them. Orders and the reporting currency must name a real
//! one: a typo such as "NKO" would otherwise split a customer's revenue into a currency
//! nobody converts.

/// ISO 4217 codes of currencies money can be in: the current list, plus the ones
/// withdrawn since 2020 (ANG, CUC, HRK, SLL, ZWL) so that older orders can be loaded;
/// without precious metals, bond-market units, SDRs and the test and "no currency" codes.
/// Sorted, for a binary search.
const CODES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR",
    "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW",
    "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
    "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG",
    "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE",
    "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP",
    "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
    "ZWL",
];

/// Whether `code` is an ISO 4217 currency (upper case, as the standard writes it).
pub fn is_known(code: &str) -> bool {
    CODES.binary_search(&code).is_ok()
}

/// `code` as a currency, or what is wrong with it, naming `field`.
pub fn check(field: &str, code: &str) -> Result<(), String> {
    if is_known(code) {
        Ok(())
    } else {
        Err(format!(
            "{field} must be an ISO 4217 code of a currency, such as EUR or NOK (in capitals); \
             got {code:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_and_each_code_is_three_capitals() {
        assert!(
            CODES.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        assert!(CODES
            .iter()
            .all(|c| c.len() == 3 && c.chars().all(|ch| ch.is_ascii_uppercase())));
    }

    #[test]
    fn real_currencies_pass_and_look_alikes_do_not() {
        for ok in ["EUR", "NOK", "SEK", "DKK", "USD", "JPY", "KWD", "HRK"] {
            assert!(is_known(ok), "{ok}");
        }
        for bad in ["NKO", "ABC", "XXX", "XAU", "eur", "EURO", "", "kroner"] {
            assert_eq!(
                check("currency", bad).unwrap_err(),
                format!(
                    "currency must be an ISO 4217 code of a currency, such as EUR or NOK (in capitals); got {bad:?}"
                )
            );
        }
    }
}
