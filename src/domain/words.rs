//! Amounts in words (Norwegian bokmål), as written out in grant letters.

const ONES: [&str; 20] = [
    "null", "en", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti", "elleve", "tolv",
    "tretten", "fjorten", "femten", "seksten", "sytten", "atten", "nitten",
];

const TENS: [&str; 10] = [
    "", "", "tjue", "tretti", "førti", "femti", "seksti", "sytti", "åtti", "nitti",
];

/// Scale words above a thousand: (value, singular, plural). Norwegian uses the long scale.
const SCALES: [(u64, &str, &str); 4] = [
    (1_000_000_000_000_000, "billiard", "billiarder"),
    (1_000_000_000_000, "billion", "billioner"),
    (1_000_000_000, "milliard", "milliarder"),
    (1_000_000, "million", "millioner"),
];

/// Writes an amount in whole øre in words, e.g. `350_000_00` →
/// "tre hundre og femti tusen kroner". Negative amounts get the prefix "minus ".
pub fn kroner_in_words(ore: i64) -> String {
    let sign = if ore < 0 { "minus " } else { "" };
    // unsigned_abs so that i64::MIN does not overflow.
    let ore = ore.unsigned_abs();
    let (kroner, ore) = (ore / 100, ore % 100);

    let text = match (kroner, ore) {
        (0, 0) => "null kroner".to_owned(),
        (0, o) => format!("{} øre", number_words(o, "én")),
        (k, 0) => kroner_part(k),
        (k, o) => format!("{} og {} øre", kroner_part(k), number_words(o, "én")),
    };
    format!("{sign}{text}")
}

fn kroner_part(kroner: u64) -> String {
    let noun = if kroner == 1 { "krone" } else { "kroner" };
    format!("{} {noun}", number_words(kroner, "én"))
}

/// Writes `n` in words. `one` is the form of a lone trailing "1", which depends
/// on the gender of what is counted: "én krone", "ett tusen".
fn number_words(n: u64, one: &str) -> String {
    if n == 0 {
        return ONES[0].to_owned();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut rest = n;
    for (value, singular, plural) in SCALES {
        let count = rest / value;
        rest %= value;
        if count > 0 {
            let noun = if count == 1 { singular } else { plural };
            parts.push(format!("{} {noun}", below_thousand(count, "én")));
        }
    }
    let thousands = rest / 1000;
    rest %= 1000;
    if thousands > 0 {
        parts.push(format!("{} tusen", below_thousand(thousands, "ett")));
    }
    if rest > 0 {
        let words = below_thousand(rest, one);
        // "og" joins a final part under a hundred to what precedes it:
        // "ett tusen og fem", "én million og tjue".
        if rest < 100 && !parts.is_empty() {
            parts.push(format!("og {words}"));
        } else {
            parts.push(words);
        }
    }
    parts.join(" ")
}

/// 1..=999 in words, e.g. "to hundre og femti".
fn below_thousand(n: u64, one: &str) -> String {
    debug_assert!((1..1000).contains(&n));
    let hundreds = n / 100;
    let rest = n % 100;
    let rest_words = (rest > 0).then(|| below_hundred(rest, one));
    match (hundreds, rest_words) {
        (0, Some(words)) => words,
        (h, None) => hundreds_words(h),
        (h, Some(words)) => format!("{} og {words}", hundreds_words(h)),
    }
}

fn hundreds_words(hundreds: u64) -> String {
    // "hundre" is neuter: "ett hundre", "to hundre".
    let count = if hundreds == 1 {
        "ett"
    } else {
        ONES[hundreds as usize]
    };
    format!("{count} hundre")
}

/// 1..=99 in words; compounds are written as one word: "tjueen", "sekstisju".
fn below_hundred(n: u64, one: &str) -> String {
    debug_assert!((1..100).contains(&n));
    match n {
        1 => one.to_owned(),
        2..20 => ONES[n as usize].to_owned(),
        _ => {
            let (tens, ones) = (n / 10, n % 10);
            let ones = if ones == 0 { "" } else { ONES[ones as usize] };
            format!("{}{ones}", TENS[tens as usize])
        }
    }
}

#[cfg(test)]
// Amounts are written as kroner_øre, e.g. 350_000_00.
#[allow(clippy::inconsistent_digit_grouping)]
mod tests {
    use super::kroner_in_words;

    #[track_caller]
    fn check(ore: i64, expected: &str) {
        assert_eq!(kroner_in_words(ore), expected, "for {ore} øre");
    }

    #[test]
    fn examples_from_the_letters() {
        check(350_000_00, "tre hundre og femti tusen kroner");
        check(
            1_234_567_50,
            "én million to hundre og trettifire tusen fem hundre og sekstisju kroner og femti øre",
        );
        check(
            13_914_871_00,
            "tretten millioner ni hundre og fjorten tusen åtte hundre og syttien kroner",
        );
    }

    #[test]
    fn small_amounts() {
        check(0, "null kroner");
        check(1_00, "én krone");
        check(2_00, "to kroner");
        check(10_00, "ti kroner");
        check(11_00, "elleve kroner");
        check(19_00, "nitten kroner");
        check(20_00, "tjue kroner");
        check(21_00, "tjueen kroner");
        check(47_00, "førtisju kroner");
        check(99_00, "nittini kroner");
    }

    #[test]
    fn hundreds_and_thousands() {
        check(100_00, "ett hundre kroner");
        check(101_00, "ett hundre og én kroner");
        check(250_00, "to hundre og femti kroner");
        check(999_00, "ni hundre og nittini kroner");
        check(1000_00, "ett tusen kroner");
        check(1005_00, "ett tusen og fem kroner");
        check(1100_00, "ett tusen ett hundre kroner");
        check(1250_00, "ett tusen to hundre og femti kroner");
        check(21_000_00, "tjueen tusen kroner");
        check(101_000_00, "ett hundre og ett tusen kroner");
        check(
            999_999_00,
            "ni hundre og nittini tusen ni hundre og nittini kroner",
        );
    }

    #[test]
    fn millions_and_milliards() {
        check(1_000_000_00, "én million kroner");
        check(2_000_000_00, "to millioner kroner");
        check(1_000_005_00, "én million og fem kroner");
        check(1_001_000_00, "én million ett tusen kroner");
        check(21_000_000_00, "tjueen millioner kroner");
        check(1_000_000_000_00, "én milliard kroner");
        check(3_000_000_000_00, "tre milliarder kroner");
        check(
            2_500_000_050_00,
            "to milliarder fem hundre millioner og femti kroner",
        );
        check(1_000_000_000_000_00, "én billion kroner");
    }

    #[test]
    fn ore() {
        check(1, "én øre");
        check(50, "femti øre");
        check(1_01, "én krone og én øre");
        check(100_99, "ett hundre kroner og nittini øre");
    }

    #[test]
    fn negative_and_extremes() {
        check(-5_00, "minus fem kroner");
        check(-50, "minus femti øre");
        // Must not overflow or panic at the ends of the range.
        assert!(kroner_in_words(i64::MAX).starts_with("nittito billiarder"));
        assert!(kroner_in_words(i64::MIN).starts_with("minus nittito billiarder"));
    }
}
