//! What a transfer title says, read the way payers write it: upper-cased words, party numbers
//! after a marker (`NALEŻNOŚĆ 123`), digit-only words (NIP and PESEL candidates), and the
//! installments named by number (`II rata 2026`, `rata nr 3`, `I i II rata`, `druga rata`).

use wspolnota_core::value::DocumentNumber;
use wspolnota_finance::service::payments::NamedInstallments;

/// Words that introduce a party number in a transfer title.
const NUMBER_MARKERS: [&str; 6] = [
    "NALEŻNOŚĆ",
    "NALEZNOSC",
    "NR",
    "NUMER",
    "PŁATNIK",
    "PLATNIK",
];

/// The word "installment" in the singular cases a title uses (`rata`, `raty`, `ratę`, `ratą`,
/// `racie`), with and without Polish letters. Not the plural: `2 rat` counts installments.
const INSTALLMENT_WORDS: [&str; 6] = ["RATA", "RATY", "RATĘ", "RATE", "RATĄ", "RACIE"];

/// Words joining installment numbers in a list (`I i II rata`, `raty 1 oraz 2`).
const LIST_WORDS: [&str; 2] = ["I", "ORAZ"];

/// Installment numbers a title may name: a monthly fee has twelve.
const MAX_INSTALLMENT: i32 = 12;

/// Tax years a title may name.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

/// A transfer title, read once: its upper-cased text and words, and the decision numbers in
/// it.
#[derive(Debug, Clone)]
pub struct Title {
    upper: String,
    /// Upper-cased, split at anything but letters and digits.
    words: Vec<String>,
    documents: Vec<DocumentNumber>,
}

impl Title {
    pub fn read(text: &str) -> Self {
        let upper = text.to_uppercase();
        let words = upper
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        Self {
            words,
            documents: DocumentNumber::all_in(&upper),
            upper,
        }
    }

    /// The document numbers in the title (`FN.3120.1.15.2026`), in title order.
    pub fn documents(&self) -> &[DocumentNumber] {
        &self.documents
    }

    /// Party numbers written after a marker (`NALEŻNOŚĆ 123`, `NR 123`), in title order; not
    /// an installment's number (`rata nr 2`).
    pub fn marked_numbers(&self) -> Vec<i64> {
        let words = &self.words;
        words
            .windows(2)
            .enumerate()
            .filter_map(|(at, pair)| {
                let [marker, value] = pair else { return None };
                if !NUMBER_MARKERS.contains(&marker.as_str()) {
                    return None;
                }
                let after_installment = at
                    .checked_sub(1)
                    .and_then(|before| words.get(before))
                    .is_some_and(|w| is_installment_word(w));
                if after_installment {
                    return None;
                }
                value.parse::<i64>().ok()
            })
            .collect()
    }

    /// The words made of ASCII digits only (NIP and PESEL candidates), in title order.
    pub fn digit_words(&self) -> impl Iterator<Item = &str> {
        self.words
            .iter()
            .map(String::as_str)
            .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
    }

    /// Whether `needle` occurs in the title as a whole word (case-insensitive).
    pub fn contains_token(&self, needle: &str) -> bool {
        let hay = &self.upper;
        let needle = needle.to_uppercase();
        hay.match_indices(&needle).any(|(at, _)| {
            let before = hay[..at].chars().next_back();
            let after = hay[at + needle.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    }

    /// The installments the title names by number, next to the word for installment — after
    /// it (`rata 2`, `rata nr 3`, `raty 1 oraz 2`) or, if none follows, before it (`II rata`,
    /// `I i II raty`, `druga rata`) — with the tax year if the title gives exactly one
    /// (`2026`, also inside a date). `None` when no installment is named, or two places name
    /// different ones.
    pub fn named_installments(&self) -> Option<NamedInstallments> {
        let words = &self.words;
        let mut numbers: Vec<i32> = Vec::new();
        let mut found = false;
        for (at, word) in words.iter().enumerate() {
            if !is_installment_word(word) {
                continue;
            }
            let mut after = at + 1;
            if words.get(after).is_some_and(|w| w == "NR" || w == "NUMER") {
                after += 1;
            }
            // The number after the word, else the one before it: in `zaliczka i rata 2` the
            // `i` before is "and", not the numeral one.
            let mut here = numbers_after(words, after);
            if here.is_empty() {
                here = numbers_before(words, at);
            }
            if here.is_empty() {
                continue;
            }
            here.sort_unstable();
            here.dedup();
            if found && here != numbers {
                return None;
            }
            numbers = here;
            found = true;
        }
        if !found {
            return None;
        }
        let mut years: Vec<i32> = words
            .iter()
            .enumerate()
            // A party number after its marker is not a year.
            .filter(|(at, _)| !after_marker(words, *at))
            .filter(|(_, w)| w.len() == 4)
            .filter_map(|(_, w)| w.parse::<i32>().ok())
            .filter(|y| YEARS.contains(y))
            .collect();
        years.sort_unstable();
        years.dedup();
        Some(NamedInstallments {
            numbers,
            year: match years.as_slice() {
                [one] => Some(*one),
                _ => None,
            },
        })
    }
}

/// Whether the word at `at` follows a party number's marker.
fn after_marker(words: &[String], at: usize) -> bool {
    at.checked_sub(1)
        .and_then(|before| words.get(before))
        .is_some_and(|w| NUMBER_MARKERS.contains(&w.as_str()))
}

fn is_installment_word(word: &str) -> bool {
    INSTALLMENT_WORDS.contains(&word)
}

/// The list of numbers that ends right before `end` (`I i II`, `3`).
fn numbers_before(words: &[String], end: usize) -> Vec<i32> {
    let mut out = Vec::new();
    let mut at = end;
    while let Some(prev) = at.checked_sub(1) {
        let Some(n) = words.get(prev).and_then(|w| number(w)) else {
            break;
        };
        // `NALEŻNOŚĆ 1 rata 2`: the 1 is the party's number.
        if after_marker(words, prev) {
            break;
        }
        out.push(n);
        // Another number only across a list word: `I II rata` is not a list.
        let join = prev
            .checked_sub(1)
            .and_then(|j| words.get(j).map(|w| (j, w)));
        let next = prev.checked_sub(2).and_then(|b| words.get(b));
        match (join, next) {
            (Some((j, join)), Some(next)) if is_list_word(join) && number(next).is_some() => {
                at = j;
            }
            _ => break,
        }
    }
    out
}

/// The list of numbers that starts at `start` (`2`, `1 oraz 2`).
fn numbers_after(words: &[String], start: usize) -> Vec<i32> {
    let mut out = Vec::new();
    let mut at = start;
    while let Some(n) = words.get(at).and_then(|w| number(w)) {
        out.push(n);
        match (words.get(at + 1), words.get(at + 2)) {
            (Some(join), Some(next)) if is_list_word(join) && number(next).is_some() => {
                at += 2;
            }
            _ => break,
        }
    }
    out
}

fn is_list_word(word: &str) -> bool {
    LIST_WORDS.contains(&word)
}

/// An installment's number as payers write it: `2`, `II`, `druga` (1 to 12; ordinal words
/// for the four of a property tax year).
fn number(word: &str) -> Option<i32> {
    let n = match word {
        "PIERWSZA" | "PIERWSZĄ" | "PIERWSZEJ" => 1,
        "DRUGA" | "DRUGĄ" | "DRUGIEJ" => 2,
        "TRZECIA" | "TRZECIĄ" | "TRZECIEJ" => 3,
        "CZWARTA" | "CZWARTĄ" | "CZWARTEJ" => 4,
        _ if word.len() <= 2 && word.chars().all(|c| c.is_ascii_digit()) => word.parse().ok()?,
        _ => roman(word)?,
    };
    (1..=MAX_INSTALLMENT).contains(&n).then_some(n)
}

fn roman(word: &str) -> Option<i32> {
    const NUMERALS: [&str; 12] = [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
    ];
    let at = NUMERALS.iter().position(|n| *n == word)?;
    i32::try_from(at + 1).ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn named(title: &str) -> Option<(Vec<i32>, Option<i32>)> {
        Title::read(title)
            .named_installments()
            .map(|n| (n.numbers, n.year))
    }

    #[test]
    fn installments_are_read_as_payers_write_them() {
        assert_eq!(
            named("II rata podatku od nieruchomości 2026"),
            Some((vec![2], Some(2026)))
        );
        assert_eq!(named("Podatek rolny rata 3"), Some((vec![3], None)));
        assert_eq!(named("RATA NR 4 ZA 2025 R."), Some((vec![4], Some(2025))));
        assert_eq!(named("wplata za rate IV"), Some((vec![4], None)));
        assert_eq!(named("2. rata, podatek"), Some((vec![2], None)));
        assert_eq!(named("druga rata"), Some((vec![2], None)));
        assert_eq!(named("za drugą ratę"), Some((vec![2], None)));
        assert_eq!(
            named("opłata za odpady - rata 11/2026"),
            Some((vec![11], Some(2026)))
        );
        // Lists: "i" joins numbers (and is also the numeral one).
        assert_eq!(named("I i II rata 2026"), Some((vec![1, 2], Some(2026))));
        assert_eq!(named("raty 1 oraz 2"), Some((vec![1, 2], None)));
        assert_eq!(named("rata I i II"), Some((vec![1, 2], None)));
        assert_eq!(named("wpłata i II rata"), Some((vec![2], None)));
        assert_eq!(named("zaliczka i rata 2"), Some((vec![2], None)));
        // The same installment twice is one; two different ones name nothing.
        assert_eq!(named("II rata (rata 2)"), Some((vec![2], None)));
        assert_eq!(named("II rata, rata 3"), None);
        // Two years, or none in range: no year.
        assert_eq!(named("rata 2 2025 2026"), Some((vec![2], None)));
        assert_eq!(named("rata 2 z 10.06.2026"), Some((vec![2], Some(2026))));
        // A party number is not a year.
        assert_eq!(named("rata 2 NALEŻNOŚĆ 2024"), Some((vec![2], None)));
        // Nor is it an installment's number.
        assert_eq!(named("NALEŻNOŚĆ 1 rata 2"), Some((vec![2], None)));
        assert_eq!(named("nr 3 rata"), None);
    }

    #[test]
    fn words_that_only_look_like_installments_name_nothing() {
        assert_eq!(named("podatek od nieruchomości 2026"), None);
        assert_eq!(named("płatność ratalna 2"), None);
        assert_eq!(named("prorata 2"), None);
        assert_eq!(named("raty zaległe"), None);
        assert_eq!(named("rata 13"), None);
        assert_eq!(named("rata 0"), None);
        assert_eq!(named("rata 2026"), None);
        assert_eq!(named("zapłata 2 rat"), None);
        assert_eq!(named("I II rata"), Some((vec![2], None)));
    }

    #[test]
    fn an_installments_number_is_not_a_party_number() {
        let title = Title::read("rata nr 2, NALEŻNOŚĆ 1234, nr 77");
        assert_eq!(title.marked_numbers(), vec![1234, 77]);
    }

    #[test]
    fn tokens_match_whole_words_only() {
        assert!(
            Title::read("Wypłata SBX-PAYOUT-1A2B3C4D z dnia").contains_token("SBX-PAYOUT-1A2B3C4D")
        );
        assert!(Title::read("sbx-payout-1a2b3c4d").contains_token("SBX-PAYOUT-1A2B3C4D"));
        assert!(!Title::read("SBX-PAYOUT-1A2B3C4DE").contains_token("SBX-PAYOUT-1A2B3C4D"));
        assert!(!Title::read("XSBX-PAYOUT-1A2B3C4D").contains_token("SBX-PAYOUT-1A2B3C4D"));
    }

    /// Titles made of the words the reading looks at, in any order.
    fn title_words() -> impl Strategy<Value = String> {
        let word = prop::sample::select(vec![
            "rata",
            "RATY",
            "ratę",
            "racie",
            "nr",
            "i",
            "oraz",
            "I",
            "II",
            "XII",
            "XIII",
            "2",
            "0",
            "12",
            "13",
            "2026",
            "1999",
            "druga",
            "CZWARTEJ",
            "NALEŻNOŚĆ",
            "płatnik",
            "FN.3120.1.2026",
            "10.06.2026",
            ",",
            "-",
            "(",
            "rat",
        ]);
        prop::collection::vec(word, 0..14).prop_map(|w| w.join(" "))
    }

    fn check(title: &str) {
        if let Some(named) = Title::read(title).named_installments() {
            assert!(!named.numbers.is_empty(), "{title}");
            assert!(named.numbers.windows(2).all(|p| p[0] < p[1]), "{title}");
            assert!(
                named
                    .numbers
                    .iter()
                    .all(|n| (1..=MAX_INSTALLMENT).contains(n)),
                "{title}"
            );
            assert!(named.year.is_none_or(|y| YEARS.contains(&y)), "{title}");
        }
    }

    proptest! {
        #[test]
        fn any_text_reads_without_panic(title in "\\PC{0,160}") {
            check(&title);
            let read = Title::read(&title);
            let _ = read.marked_numbers();
            let _ = read.digit_words().count();
            let _ = read.contains_token("SBX-PAYOUT-1");
        }

        #[test]
        fn installment_words_in_any_order_name_valid_installments(title in title_words()) {
            check(&title);
        }
    }
}
