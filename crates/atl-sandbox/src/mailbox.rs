//! Synthetic mailboxes: registrable domains, the reserved `.example` domain a company's
//! mail lives under, and `first.last` local parts. Pure string rules, shared by the people
//! directory and the synthetic subjects of model answers, depending on neither.

/// Second-level labels under which a company registers (`acme.co.uk`).
pub(crate) const SECOND_LEVEL: &[&str] = &["co", "com", "org", "net", "gov", "edu", "ac"];

/// `https://www.investors.acme.co.uk/x` → `acme.co.uk`.
pub(crate) fn registrable_domain(raw: &str) -> String {
    let d = normalize_domain(raw);
    let parts: Vec<&str> = d.split('.').filter(|p| !p.is_empty()).collect();
    let n = parts.len();
    if n >= 3 && SECOND_LEVEL.contains(&parts[n - 2]) && parts[n - 1].len() == 2 {
        parts[n - 3..].join(".")
    } else if n >= 2 {
        parts[n - 2..].join(".")
    } else {
        d
    }
}

/// `acme.co.uk` → `acme`.
pub(crate) fn label(registrable: &str) -> &str {
    registrable.split('.').next().unwrap_or(registrable)
}

/// The reserved domain a company's synthetic mailboxes live under: `walmart.example`.
pub(crate) fn mail_domain(registrable: &str) -> String {
    format!("{}.example", label(registrable))
}

/// Latin letters without their accents (`Tomé` → `Tome`), so names make ASCII mailboxes.
pub(crate) fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'à'..='å' => 'a',
            'À'..='Å' => 'A',
            'ç' => 'c',
            'Ç' => 'C',
            'è'..='ë' => 'e',
            'È'..='Ë' => 'E',
            'ì'..='ï' => 'i',
            'Ì'..='Ï' => 'I',
            'ñ' => 'n',
            'Ñ' => 'N',
            'ò'..='ö' | 'ø' => 'o',
            'Ò'..='Ö' | 'Ø' => 'O',
            'ù'..='ü' => 'u',
            'Ù'..='Ü' => 'U',
            'ý' | 'ÿ' => 'y',
            '’' | '‘' => '\'',
            c => c,
        })
        .collect()
}

pub(crate) const HONORIFICS: &[&str] = &["dr", "mr", "mrs", "ms", "prof", "sir"];

pub(crate) const SUFFIXES: &[&str] = &["jr", "sr", "ii", "iii", "iv", "phd", "md"];

/// The words of a name that identify a person: no initials, titles or suffixes.
pub(crate) fn name_words(full: &str) -> Vec<String> {
    let folded = fold(full);
    let head = folded.split([',', '(', '|']).next().unwrap_or("");
    head.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_ascii_lowercase()
        })
        .filter(|w| {
            w.len() > 1 && !HONORIFICS.contains(&w.as_str()) && !SUFFIXES.contains(&w.as_str())
        })
        .collect()
}

/// `first.last` for the person's mailbox and identity (`C. Douglas McMillon` →
/// `douglas.mcmillon`); `None` for a name with no usable word.
pub(crate) fn local_part(full_name: &str) -> Option<String> {
    let words = name_words(full_name);
    match words.as_slice() {
        [] => None,
        [one] => Some(slug(one)),
        [first, .., last] => Some(format!("{}.{}", slug(first), slug(last))),
    }
}

/// Lower-case ASCII slug (`Acme Corp` → `acme-corp`).
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("company");
    }
    out
}

/// Strip scheme, `www.`, path and port; lower-case.
pub fn normalize_domain(raw: &str) -> String {
    let s = raw
        .trim()
        .trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>');
    let s = s.split("://").last().unwrap_or(s);
    let s = s.split(['/', '?', '#', ':']).next().unwrap_or(s);
    let s = s.trim_start_matches("www.");
    s.trim_end_matches('.').to_ascii_lowercase()
}

/// `first.last@{label}.example`: the company's registrable label under the reserved
/// `.example` domain (RFC 2606), never the company's own domain.
pub fn email_for(first: &str, last: &str, domain: &str) -> String {
    let local = local_part(&format!("{first} {last}"))
        .unwrap_or_else(|| format!("{}.{}", slug(first), slug(last)));
    format!("{local}@{}", mail_domain(&registrable_domain(domain)))
}
