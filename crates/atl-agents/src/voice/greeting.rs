//! The opener greets the contact by the name a caller says. The check works on words,
//! not substrings: an opener that says "Christmas" does not greet "Chris".

use atl_domain::person_name::greeting_name;

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The opener, greeting `name` by the name a caller says when it does not already.
pub fn ensure_greeting(opener: &str, name: Option<&str>) -> String {
    let opener = opener.trim();
    match name.and_then(greeting_name) {
        Some(first) if !words(opener).contains(&first.to_lowercase()) => {
            format!("Hi {first}, {opener}")
        }
        _ => opener.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(opener: &str, name: Option<&str>, want: &str) {
        assert_eq!(ensure_greeting(opener, name), want, "{opener:?} / {name:?}");
    }

    #[test]
    fn greets_by_the_spoken_name_on_words() {
        check(
            "Hi Ada, this is Bo.",
            Some("Ada Lovelace"),
            "Hi Ada, this is Bo.",
        );
        check(
            "Good morning.",
            Some("Ada Lovelace"),
            "Hi Ada, Good morning.",
        );
        check(" Hello there. ", None, "Hello there.");
        check(
            "Hi C., this is Bo.",
            Some("C. Douglas McMillon"),
            "Hi Douglas, Hi C., this is Bo.",
        );
        check(
            "Hello Douglas!",
            Some("C. Douglas McMillon"),
            "Hello Douglas!",
        );
        check(
            "Merry Christmas from Bo.",
            Some("Chris Lee"),
            "Hi Chris, Merry Christmas from Bo.",
        );
    }
}
