//! The opener greets the contact by the name a caller says, and nobody else. Checks work
//! on words, not substrings: an opener that says "Christmas" does not greet "Chris".
//!
//! - A known contact: an opener that already says the name stands; one that greets
//!   someone else by name ("Hi C.," for "C. Douglas McMillon", a model's guess) gets that
//!   name replaced; one that greets nobody gets "Hi {name}," in front.
//! - No known contact: a name the model put after the greeting is taken out ("Hi Amara,
//!   this is…" → "Hi, this is…") — a model never names the person to call.

use atl_domain::person_name::greeting_name;

const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "dear",
    "good morning",
    "good afternoon",
    "good evening",
];

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `(greeting, greeted name, rest)` when the opener starts "Hi Name, rest": a greeting
/// word, one to three name-like words, then a comma, `!` or `.`.
fn split_greeting(opener: &str) -> Option<(&str, &str, &str)> {
    let lower = opener.to_lowercase();
    let greeting = GREETINGS
        .iter()
        .filter(|g| lower.starts_with(*g))
        .max_by_key(|g| g.len())?;
    let after = opener.get(greeting.len()..)?;
    if !after.starts_with(' ') {
        return None;
    }
    let end = after.find([',', '!', ':'])?;
    let name = after[..end].trim();
    let is_name = !name.is_empty()
        && name.split_whitespace().count() <= 3
        && name
            .split_whitespace()
            .all(|w| w.chars().next().is_some_and(char::is_uppercase));
    is_name.then(|| {
        (
            &opener[..greeting.len()],
            name,
            after[end + 1..].trim_start(),
        )
    })
}

/// The opener, greeting `name` (when known) by the name a caller says, and no one else.
pub fn ensure_greeting(opener: &str, name: Option<&str>) -> String {
    let opener = opener.trim();
    match name.and_then(greeting_name) {
        Some(first) => {
            if let Some((greeting, greeted, rest)) = split_greeting(opener) {
                if words(greeted).contains(&first.to_lowercase()) {
                    return opener.to_string();
                }
                return format!("{greeting} {first}, {rest}");
            }
            if words(opener).contains(&first.to_lowercase()) {
                opener.to_string()
            } else {
                format!("Hi {first}, {opener}")
            }
        }
        None => match split_greeting(opener) {
            Some((greeting, _, rest)) => format!("{greeting}, {rest}"),
            None => opener.to_string(),
        },
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
            "Hi Douglas, this is Bo.",
        );
        check(
            "Hello Douglas!",
            Some("C. Douglas McMillon"),
            "Hello Douglas!",
        );
        check(
            "Hi Doug, quick one.",
            Some("C. Douglas McMillon"),
            "Hi Douglas, quick one.",
        );
        check(
            "Merry Christmas from Bo.",
            Some("Chris Lee"),
            "Hi Chris, Merry Christmas from Bo.",
        );
        check(
            "Hi Amara, this is Bo from PipeCo.",
            None,
            "Hi, this is Bo from PipeCo.",
        );
        check(
            "Good morning Mr Smith, Bo here.",
            None,
            "Good morning, Bo here.",
        );
        check("Hi, this is Bo.", None, "Hi, this is Bo.");
    }
}
