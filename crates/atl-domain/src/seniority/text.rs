//! Title text → folded words, cut into the roles a title holds.

use unicode_normalization::UnicodeNormalization;

/// Lower case without accents: `Geschäftsführer` → `geschaftsfuhrer`, `Sócio` → `socio`,
/// `ＣＥＯ` → `ceo`. Compatibility forms (full-width letters, ligatures) are folded too;
/// Japanese keeps its kana marks (only the Latin combining accents are dropped).
pub(super) fn fold(s: &str) -> String {
    let stripped = s
        .nfkd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .nfc();
    let mut out = String::with_capacity(s.len());
    for c in stripped {
        match c {
            'ß' | 'ẞ' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            '\u{2018}' | '\u{2019}' | '`' | '\u{b4}' => out.push('\''),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// One strongly separated piece of a title ("VP Sales" in "VP Sales | Advisor").
#[derive(Debug, Default)]
pub(super) struct Segment {
    pub parts: Vec<Part>,
    /// The piece only says the role is over: "(retired)", "former", "open to work".
    pub not_current: bool,
    /// A "chief … officer" span that the split on "and"/"," cut in two.
    pub chief_officer_span: bool,
}

/// One role: its Latin-script words and its Japanese (CJK) runs.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Part {
    pub words: Vec<String>,
    pub cjk: Vec<String>,
}

/// Splits a folded title into segments (on `|`, `/`, `;`, brackets, `·`, ` - `, `兼`, …)
/// and each segment into parts (on `,`, `&`, `+` and "and" in six languages).
pub(super) fn segments(folded: &str) -> Vec<Segment> {
    strong_pieces(folded)
        .iter()
        .map(|piece| segment(piece))
        .collect()
}

fn is_strong(c: char) -> bool {
    matches!(
        c,
        '|' | '/'
            | '\\'
            | ';'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '·'
            | '•'
            | '–'
            | '—'
            | '¦'
            | '‖'
            | '・'
            | '兼'
            | '、'
            | '。'
            | '«'
            | '»'
    )
}

fn strong_pieces(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut pieces = vec![String::new()];
    for (i, &c) in chars.iter().enumerate() {
        let spaced_hyphen = c == '-'
            && i > 0
            && chars[i - 1].is_whitespace()
            && chars.get(i + 1).is_some_and(|n| n.is_whitespace());
        if is_strong(c) || spaced_hyphen {
            pieces.push(String::new());
        } else if let Some(last) = pieces.last_mut() {
            last.push(c);
        }
    }
    pieces
        .into_iter()
        // What follows "@" names the employer: "VP Sales @ Acme".
        .map(|p| p.split('@').next().unwrap_or("").to_string())
        .filter(|p| p.chars().any(char::is_alphanumeric))
        .collect()
}

/// Japanese and Chinese characters: kanji, kana and the prolonged-sound mark.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30ff | 0x31f0..=0x31ff | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff)
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Cjk(String),
    /// `,`, `&`, `+`: may separate two roles.
    Weak,
}

fn tokens(piece: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk = String::new();
    let flush = |word: &mut String, cjk: &mut String, out: &mut Vec<Token>| {
        if !word.is_empty() {
            out.extend(latin_words(word).into_iter().map(Token::Word));
            word.clear();
        }
        if !cjk.is_empty() {
            out.push(Token::Cjk(std::mem::take(cjk)));
        }
    };
    for c in piece.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                flush(&mut word, &mut String::new(), &mut out);
            }
            cjk.push(c);
        } else if c.is_alphanumeric() || matches!(c, '\'' | '.' | '-') {
            if !cjk.is_empty() {
                flush(&mut String::new(), &mut cjk, &mut out);
            }
            word.push(c);
        } else {
            flush(&mut word, &mut cjk, &mut out);
            if matches!(c, ',' | '&' | '+') {
                out.push(Token::Weak);
            }
        }
    }
    flush(&mut word, &mut cjk, &mut out);
    out
}

/// One whitespace-free run of Latin text → words: possessives dropped ("President's
/// Assistant" is an assistant), elisions split (`d'équipe`), dots removed from
/// abbreviations (`v.p.` → `vp`, `sr.` → `sr`), hyphenated words split (`vp-sales`,
/// `vice-president`, `ex-google`), then abbreviations expanded.
fn latin_words(raw: &str) -> Vec<String> {
    if raw.ends_with("'s") || raw.ends_with("s'") {
        return Vec::new();
    }
    let raw = raw.trim_matches(|c: char| c == '\'' || c == '-' || c == '.');
    let mut out = Vec::new();
    for piece in raw.split(['\'', '-']) {
        let w: String = piece.chars().filter(|&c| c != '.').collect();
        if !w.is_empty() {
            out.push(expand(&w).to_string());
        }
    }
    out
}

/// Abbreviations people type in titles.
fn expand(w: &str) -> &str {
    match w {
        "sr" | "snr" | "senr" => "senior",
        "jr" | "jnr" => "junior",
        "dir" | "dirctr" => "director",
        "mgr" | "mngr" | "mgmr" => "manager",
        "asst" | "assist" => "assistant",
        "assoc" => "associate",
        "exec" => "executive",
        "pres" => "president",
        "vicepresident" => "vice president",
        other => other,
    }
}

/// Words that, on their own, say the role is over or there is none.
const NOT_CURRENT: [&[&str]; 17] = [
    &["retired"],
    &["semi", "retired"],
    &["former"],
    &["formerly"],
    &["previously"],
    &["ex"],
    &["emeritus"],
    &["unemployed"],
    &["open", "to", "work"],
    &["looking", "for", "opportunities"],
    &["looking", "for", "new", "opportunities"],
    &["im", "ruhestand"],
    &["retraite"],
    &["jubilado"],
    &["jubilada"],
    &["aposentado"],
    &["pensionato"],
];

/// First words that turn the rest of a part into a past role: "Former CEO of X",
/// "ex-Google", "Past President", "ehemaliger Geschäftsführer", "ancien directeur".
const PAST_PREFIX: [&str; 13] = [
    "former",
    "formerly",
    "previously",
    "past",
    "ex",
    "retired",
    "ehemaliger",
    "ehemalige",
    "ehem",
    "ancien",
    "ancienne",
    "antiguo",
    "antigua",
];

/// What follows these words is the employer: "Head of Sales at Acme".
const EMPLOYER_CUT: [&str; 4] = ["at", "bei", "chez", "presso"];

/// "and" in English, German, French, Spanish, Portuguese and Italian.
const AND: [&str; 5] = ["and", "und", "et", "y", "e"];

/// Words that make a part someone's assistant, for the "chief … officer" span check.
const ASSISTANT_WORDS: [&str; 4] = ["assistant", "secretary", "aide", "ea"];

fn segment(piece: &str) -> Segment {
    let mut toks = tokens(piece);
    // The employer follows "at"/"bei"/"chez"/"presso" (not as the first word).
    if let Some(cut) = toks.iter().enumerate().position(|(i, t)| {
        i > 0 && matches!(t, Token::Word(w) if EMPLOYER_CUT.contains(&w.as_str()))
    }) {
        toks.truncate(cut);
    }
    let words: Vec<&str> = toks
        .iter()
        .filter_map(|t| match t {
            Token::Word(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    let has_cjk = toks.iter().any(|t| matches!(t, Token::Cjk(_)));
    if !has_cjk && NOT_CURRENT.contains(&words.as_slice()) {
        return Segment {
            not_current: true,
            ..Segment::default()
        };
    }

    // "Assistant to the CEO and CFO" is one role, whoever it assists.
    let assists = words
        .windows(2)
        .any(|p| ASSISTANT_WORDS.contains(&p[0]) && matches!(p[1], "to" | "of" | "for"));
    let mut parts = vec![Part::default()];
    // "Chief Sales and Marketing Officer": a part that opens with "chief", a split, then
    // "officer". ("Crew Chief and Safety Officer" does not open with "chief".)
    let mut crossed_split_after_chief = false;
    let mut chief_officer_span = false;
    let mut seen_chief = false;
    for t in &toks {
        let split = !assists
            && match t {
                Token::Weak => true,
                Token::Word(w) => AND.contains(&w.as_str()),
                Token::Cjk(_) => false,
            };
        if split {
            if !parts
                .last()
                .is_some_and(|p| p.words.is_empty() && p.cjk.is_empty())
            {
                parts.push(Part::default());
            }
            crossed_split_after_chief |= seen_chief;
            continue;
        }
        let Some(part) = parts.last_mut() else {
            continue;
        };
        match t {
            Token::Word(w) => {
                seen_chief |= w == "chief" && part.words.is_empty();
                chief_officer_span |= w == "officer" && crossed_split_after_chief;
                part.words.push(w.clone());
            }
            Token::Cjk(c) => part.cjk.push(c.clone()),
            Token::Weak => {}
        }
    }
    if words.iter().any(|w| ASSISTANT_WORDS.contains(w)) {
        chief_officer_span = false;
    }
    let parts: Vec<Part> = parts.into_iter().filter_map(tidy).collect();
    // "CEO, retired": one part says the whole title is a past role.
    let not_current = parts.iter().any(|p| {
        p.cjk.is_empty()
            && NOT_CURRENT
                .iter()
                .any(|m| m.iter().copied().eq(p.words.iter().map(String::as_str)))
    });
    Segment {
        parts,
        not_current,
        chief_officer_span,
    }
}

/// Drops a past role, the "co" of co-founder/co-CEO, and empty parts.
fn tidy(mut part: Part) -> Option<Part> {
    if part.words.len() > 1 && PAST_PREFIX.contains(&part.words[0].as_str()) {
        return None;
    }
    let mut words = Vec::with_capacity(part.words.len());
    let mut i = 0;
    while i < part.words.len() {
        let w = &part.words[i];
        match (w.as_str(), part.words.get(i + 1).map(String::as_str)) {
            ("co", Some("op")) => {
                words.push("coop".to_string());
                i += 1;
            }
            // Co-CEO, Co-Founder, Co-Owner, co-fondateur: a shared role is the role.
            ("co", Some(_)) => {}
            _ => words.extend(w.split(' ').map(str::to_string)),
        }
        i += 1;
    }
    part.words = words;
    (!part.words.is_empty() || !part.cjk.is_empty()).then_some(part)
}
