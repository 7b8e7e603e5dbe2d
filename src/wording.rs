//! Counts in messages read as English: "1 post", "2 posts", "0 problems".

/// `n` and `noun`, plural unless `n` is 1. Every noun feedd counts takes a plain `s`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(super::count(0, "post"), "0 posts");
        assert_eq!(super::count(1, "problem"), "1 problem");
        assert_eq!(super::count(2, "document"), "2 documents");
    }
}
