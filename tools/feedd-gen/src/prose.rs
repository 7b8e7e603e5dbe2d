//! Word lists and the text made from them: sentences, paragraphs, titles and slugs.
//!
//! The text only has to look like prose to a person skimming a feed reader: a tiny grammar of
//! clauses keeps word order plausible, and a sprinkling of non-ASCII words exercises encoding
//! paths. Markup (links, emphasis, images) is added by `render`, never here, so a paragraph from
//! this module is always plain text and can serve as an expected summary as it is.

use rand::Rng;

const DETERMINERS: &[&str] = &["the", "a", "this", "that", "every", "our", "their", "one"];
const ADJECTIVES: &[&str] = &[
    "quiet", "busy", "small", "ancient", "careful", "bright", "narrow", "patient", "strange",
    "gentle", "restless", "honest", "crowded", "distant", "familiar", "brief", "generous", "empty",
    "modest", "curious", "stubborn", "hidden", "local", "early", "late", "steady", "simple",
    "tired", "warm", "cold", "open", "rough",
];
const NOUNS: &[&str] = &[
    "river",
    "market",
    "library",
    "train",
    "garden",
    "kitchen",
    "harbour",
    "village",
    "museum",
    "bridge",
    "winter",
    "morning",
    "engine",
    "letter",
    "window",
    "orchard",
    "station",
    "festival",
    "recipe",
    "notebook",
    "compiler",
    "server",
    "keyboard",
    "protocol",
    "bicycle",
    "mountain",
    "island",
    "theatre",
    "neighbour",
    "teacher",
    "baker",
    "council",
    "storm",
    "season",
    "ferry",
    "lantern",
    "archive",
    "workshop",
    "choir",
    "border",
];
/// Words from other languages, used as nouns now and then.
const FOREIGN: &[&str] = &[
    "café",
    "façade",
    "jalapeño",
    "smörgåsbord",
    "piñata",
    "crème brûlée",
    "Zürich",
    "São Paulo",
    "Kraków",
    "Reykjavík",
    "Montréal",
    "fjäll",
    "Straße",
    "東京",
    "Αθήνα",
];
const VERBS: &[&str] = &[
    "followed",
    "changed",
    "carried",
    "ignored",
    "opened",
    "measured",
    "visited",
    "described",
    "remembered",
    "crossed",
    "repaired",
    "praised",
    "questioned",
    "watched",
    "shaped",
    "welcomed",
    "replaced",
    "explained",
    "protected",
    "surprised",
];
const PREPOSITIONS: &[&str] = &[
    "in", "near", "across", "behind", "before", "after", "under", "beyond", "beside", "through",
];
const ADVERBS: &[&str] = &[
    "slowly",
    "again",
    "quietly",
    "at last",
    "by chance",
    "once more",
    "gladly",
];
const CONJUNCTIONS: &[&str] = &["and", "but", "while", "because", "although", "so"];
const PLACES: &[&str] = &[
    "Lisbon",
    "Zürich",
    "São Paulo",
    "Kraków",
    "Reykjavík",
    "Montréal",
    "Busan",
    "Oslo",
    "Nairobi",
    "Hanoi",
    "Valparaíso",
    "Tromsø",
    "Porto",
    "Gdańsk",
    "Kyoto",
    "Lyon",
];

/// One item of a fixed, non-empty list.
pub fn pick<T: Copy, R: Rng>(rng: &mut R, list: &[T]) -> T {
    list[rng.random_range(0..list.len())]
}

fn noun<R: Rng>(rng: &mut R) -> &'static str {
    if rng.random_ratio(1, 25) {
        pick(rng, FOREIGN)
    } else {
        pick(rng, NOUNS)
    }
}

/// Appends ` word` (or `word` at the start of `out`) and counts it.
fn push_word(out: &mut String, count: &mut usize, word: &str) {
    if !out.is_empty() && !out.ends_with(' ') {
        out.push(' ');
    }
    out.push_str(word);
    *count += 1;
}

/// Words after the first in a list entry such as `at last`; a byte loop, as this runs per word.
fn extra_words(entry: &str) -> usize {
    entry.bytes().filter(|&b| b == b' ').count()
}

/// `det [adj] noun`.
fn noun_phrase<R: Rng>(rng: &mut R, out: &mut String, count: &mut usize) {
    push_word(out, count, pick(rng, DETERMINERS));
    if rng.random_bool(0.5) {
        push_word(out, count, pick(rng, ADJECTIVES));
    }
    let noun = noun(rng);
    push_word(out, count, noun);
    // Two-word foreign nouns (`São Paulo`) count as two words.
    *count += extra_words(noun);
}

fn clause<R: Rng>(rng: &mut R, out: &mut String, count: &mut usize) {
    noun_phrase(rng, out, count);
    push_word(out, count, pick(rng, VERBS));
    noun_phrase(rng, out, count);
    if rng.random_bool(0.5) {
        push_word(out, count, pick(rng, PREPOSITIONS));
        noun_phrase(rng, out, count);
    }
    if rng.random_ratio(1, 5) {
        let adverb = pick(rng, ADVERBS);
        push_word(out, count, adverb);
        *count += extra_words(adverb);
    }
}

/// Appends one sentence, capitalised and punctuated, to `out`; returns its word count.
fn push_sentence<R: Rng>(rng: &mut R, out: &mut String) -> usize {
    if !out.is_empty() {
        out.push(' ');
    }
    let start = out.len();
    let mut count = 0;
    clause(rng, out, &mut count);
    if rng.random_bool(0.4) {
        out.push(',');
        push_word(out, &mut count, pick(rng, CONJUNCTIONS));
        clause(rng, out, &mut count);
    }
    out.push(if rng.random_ratio(1, 12) { '?' } else { '.' });
    // Sentences open with a determiner, which is ASCII.
    if let Some(first) = out.get_mut(start..start + 1) {
        first.make_ascii_uppercase();
    }
    count
}

/// One sentence, capitalised and punctuated.
pub fn sentence<R: Rng>(rng: &mut R) -> String {
    let mut out = String::with_capacity(160);
    push_sentence(rng, &mut out);
    out
}

/// Sentences until at least `min_words` words; returns the paragraph and its word count.
pub fn paragraph<R: Rng>(rng: &mut R, min_words: usize) -> (String, usize) {
    let mut text = String::with_capacity(min_words * 8);
    let mut count = 0;
    while count < min_words {
        count += push_sentence(rng, &mut text);
    }
    (text, count)
}

/// A few lowercase words, for link texts, alt texts and list items.
pub fn phrase<R: Rng>(rng: &mut R) -> String {
    let mut out = String::new();
    noun_phrase(rng, &mut out, &mut 0);
    out
}

/// A headline; callers retry on collisions, so it only needs to be varied.
pub fn title<R: Rng>(rng: &mut R) -> String {
    let adj = pick(rng, ADJECTIVES);
    let noun_a = pick(rng, NOUNS);
    let noun_b = pick(rng, NOUNS);
    let place = pick(rng, PLACES);
    let text = match rng.random_range(0..8) {
        0 => format!("{adj} {noun_a}s of {place}"),
        1 => format!("notes on the {noun_a} and the {noun_b}"),
        2 => format!("what {place} taught me about the {adj} {noun_a}"),
        3 => format!("{noun_a} & {noun_b}: a {adj} guide"),
        4 => format!("the {adj} {noun_a} {} the {noun_b}", pick(rng, VERBS)),
        5 => format!(
            "{} things I learned from a {adj} {noun_a}",
            rng.random_range(3..12)
        ),
        6 => format!(
            "a {noun_a} in {place}, {} {noun_b}",
            pick(rng, PREPOSITIONS)
        ),
        _ => format!("why the {noun_a} {} our {adj} {noun_b}", pick(rng, VERBS)),
    };
    capitalise(&text)
}

/// Lowercase ASCII words joined by single hyphens, accents folded (`São` → `sao`), other scripts
/// dropped: already in the form feedd's slug normalisation leaves unchanged.
pub fn slug_of(title: &str) -> String {
    let folded: String = title.chars().map(fold_accent).collect();
    let mut slug = String::with_capacity(folded.len());
    for word in folded.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    if slug.is_empty() { "post".into() } else { slug }
}

/// The base letter of the accented Latin letters the word lists use.
fn fold_accent(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ñ' | 'ń' => 'n',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        _ => c,
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn paragraphs_reach_their_length_and_read_as_sentences() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..50 {
            let (text, count) = paragraph(&mut rng, 60);
            assert!(count >= 60);
            assert_eq!(count, text.split_whitespace().count());
            assert!(
                text.chars().next().is_some_and(char::is_uppercase),
                "{text}"
            );
            assert!(text.ends_with(['.', '?']), "{text}");
            assert!(!text.contains(['*', '_', '[', '`', '<', '#']), "{text}");
        }
    }

    #[test]
    fn slugs_are_lowercase_ascii_words() {
        assert_eq!(
            slug_of("Bridge & lantern: a quiet guide"),
            "bridge-lantern-a-quiet-guide"
        );
        assert_eq!(
            slug_of("Quiet rivers of São Paulo"),
            "quiet-rivers-of-sao-paulo"
        );
        assert_eq!(slug_of("Tromsø, Gdańsk"), "tromso-gdansk");
        assert_eq!(slug_of("東京"), "post");
    }

    #[test]
    fn some_prose_is_not_ascii() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (text, _) = paragraph(&mut rng, 3000);
        assert!(!text.is_ascii());
    }
}
