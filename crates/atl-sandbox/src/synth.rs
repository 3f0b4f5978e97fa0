//! Deterministic synthetic content: hashing, a tiny RNG, name pools, and extraction of
//! the company / domain / person a request is about.
//!
//! Everything here is a pure function of its input bytes, which is what makes the
//! sandbox's replies reproducible (same request → same reply).

pub use crate::mailbox::{email_for, normalize_domain, slug};

/// Host under which every synthetic URL lives: `.invalid` is reserved (RFC 2606), so a
/// synthetic link can never reach a real site by accident.
pub const SYNTH_HOST: &str = "https://sandbox.atl.invalid";

/// FNV-1a, 64 bit: fast, dependency-free and stable across Rust versions (unlike
/// `DefaultHasher`), so seeds stay the same from one build to the next.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Fold more bytes into an existing hash (e.g. the path after the body).
pub fn fnv1a_more(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

pub fn mix(x: u64) -> u64 {
    // splitmix64 finaliser: decorrelates nearby seeds.
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// splitmix64 stream.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (n = 0 gives 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + self.below(span) as i64
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

pub const FIRST_NAMES: &[&str] = &[
    "Avery", "Jordan", "Morgan", "Riley", "Casey", "Quinn", "Harper", "Rowan", "Elena", "Marcus",
    "Priya", "Tomas", "Ingrid", "Kenji", "Amara", "Lucas", "Sofia", "Devon", "Nadia", "Felix",
];

pub const LAST_NAMES: &[&str] = &[
    "Testwell",
    "Mockford",
    "Sampleton",
    "Fakhouri",
    "Placer",
    "Demoski",
    "Stubbins",
    "Fixture",
    "Synthia",
    "Dummond",
    "Proxley",
    "Nullman",
    "Sandoval",
    "Emberly",
    "Vantage",
    "Quillon",
];

pub const COMPANY_PREFIXES: &[&str] = &[
    "Northwind",
    "Bluefin",
    "Kestrel",
    "Larkspur",
    "Ironbark",
    "Cobalt",
    "Meridian",
    "Tundra",
];

pub const COMPANY_SUFFIXES: &[&str] =
    &["Labs", "Dynamics", "Systems", "Analytics", "Works", "Cloud"];

pub const INDUSTRIES: &[&str] = &[
    "information technology & services",
    "computer software",
    "logistics & supply chain",
    "financial services",
    "marketing & advertising",
    "industrial automation",
];

pub const CITIES: &[(&str, &str, &str)] = &[
    ("Springfield", "Illinois", "United States"),
    ("Riverton", "Wyoming", "United States"),
    ("Fairview", "Oregon", "United States"),
    ("Greenville", "South Carolina", "United States"),
    ("Lakeside", "California", "United States"),
];

pub const EMPLOYEE_RANGES: &[&str] = &["11-50", "51-200", "201-500", "501-1000", "1001-5000"];

/// Apollo's seniority for a free-text title, in the priority order sales teams use when
/// several words match (founder, owner, chief, partner, VP, head, director, manager).
pub fn seniority_for_title(title: &str) -> &'static str {
    let t = title.to_ascii_lowercase();
    if t.contains("founder") {
        "founder"
    } else if t.contains("owner") {
        "owner"
    } else if t.contains("chief")
        || t.starts_with("ceo")
        || t.starts_with("cto")
        || t.starts_with("cfo")
    {
        "c_suite"
    } else if t.contains("partner") {
        "partner"
    } else if t.contains("vp") || t.contains("vice president") {
        "vp"
    } else if t.contains("head of") {
        "head"
    } else if t.contains("director") {
        "director"
    } else if t.contains("manager") {
        "manager"
    } else {
        "senior"
    }
}

pub fn company_name(rng: &mut Rng) -> String {
    format!(
        "{} {}",
        rng.pick(COMPANY_PREFIXES),
        rng.pick(COMPANY_SUFFIXES)
    )
}

/// `acme-corp.com` → `Acme Corp`.
pub fn name_from_domain(domain: &str) -> String {
    let label = domain.split('.').next().unwrap_or(domain);
    label
        .split(['-', '_'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn looks_like_domain(tok: &str) -> bool {
    let t = tok.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if t.contains('@') || !t.contains('.') {
        return false;
    }
    let Some((head, tld)) = t.rsplit_once('.') else {
        return false;
    };
    !head.is_empty()
        && (2..=10).contains(&tld.len())
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && head
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// Value after `label:` (case-insensitive, also `"label":`, `label_name:` and `label name:`),
/// up to the end of the line or the closing quote.
pub fn labelled_value<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(label) {
        let start = from + pos;
        from = start + label.len();
        // Whole word only: "subcompany:" is not "company:".
        if start > 0 && lower.as_bytes()[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        let mut rest = &text[from..];
        for suffix in ["_name", " name"] {
            // `get`, not indexing: the cut may fall inside a character (`O’Reilly`).
            if rest
                .get(..suffix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(suffix))
            {
                rest = &rest[suffix.len()..];
            }
        }
        let rest = rest
            .strip_prefix('"')
            .unwrap_or(rest)
            .trim_start_matches([' ', '\t']);
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let rest = rest.trim_start_matches([' ', '\t']);
        let (quoted, rest) = match rest.strip_prefix('"') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let end = rest
            .find(|c| c == '\n' || c == '\r' || (quoted && c == '"'))
            .unwrap_or(rest.len());
        let value = rest[..end].trim().trim_end_matches(',').trim();
        if !value.is_empty() && value != "null" {
            return Some(value);
        }
    }
    None
}

fn first_quoted(text: &str) -> Option<&str> {
    let mut parts = text.split('"');
    parts.next()?;
    let q = parts.next()?;
    let q = q.trim();
    (3..=80).contains(&q.len()).then_some(q)
}

fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Who and what a request is about, derived from its text. Missing pieces are filled
/// with synthetic values drawn from the request's seed.
#[derive(Debug, Clone)]
pub struct Subject {
    pub company: String,
    pub domain: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub industry: &'static str,
    pub city: (&'static str, &'static str, &'static str),
}

impl Subject {
    pub fn from_text(text: &str, seed: u64) -> Subject {
        let mut rng = Rng::new(seed ^ 0x5u64);
        let domain = labelled_value(text, "domain")
            .or_else(|| labelled_value(text, "website"))
            .map(normalize_domain)
            .filter(|d| looks_like_domain(d))
            .or_else(|| {
                text.split_whitespace()
                    .find(|t| looks_like_domain(t))
                    .map(normalize_domain)
            });
        let company = labelled_value(text, "company")
            .or_else(|| labelled_value(text, "account"))
            .or_else(|| labelled_value(text, "organization"))
            .map(|c| clip(c, 80).trim().to_string())
            .or_else(|| first_quoted(text).map(str::to_string))
            .or_else(|| domain.as_deref().map(name_from_domain))
            .unwrap_or_else(|| company_name(&mut rng));
        let domain = domain.unwrap_or_else(|| format!("{}.example", slug(&company)));
        let person = labelled_value(text, "contact")
            .or_else(|| labelled_value(text, "person"))
            .or_else(|| labelled_value(text, "full_name"))
            .map(|p| {
                p.split([',', '(', '|'])
                    .next()
                    .unwrap_or(p)
                    .trim()
                    .to_string()
            })
            .filter(|p| !p.is_empty() && p.len() <= 60);
        let (first_name, last_name) = match person {
            Some(p) => match p.split_once(' ') {
                Some((f, l)) => (f.to_string(), l.trim().to_string()),
                None => (p, rng.pick(LAST_NAMES).to_string()),
            },
            None => (
                rng.pick(FIRST_NAMES).to_string(),
                rng.pick(LAST_NAMES).to_string(),
            ),
        };
        // An address in the text is reused only if it is already at a reserved domain (a
        // tool result's); the sandbox never writes one at a company's real domain.
        let email = text
            .split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>' || c == ',')
            .map(|t| t.trim_end_matches('.').to_ascii_lowercase())
            .find(|t| {
                t.split_once('@').is_some_and(|(u, d)| {
                    !u.is_empty() && looks_like_domain(d) && is_reserved_domain(d)
                })
            })
            .unwrap_or_else(|| email_for(&first_name, &last_name, &domain));
        let industry = *rng.pick::<&'static str>(INDUSTRIES);
        Subject {
            company,
            domain,
            first_name,
            last_name,
            email,
            industry,
            city: *rng.pick(CITIES),
        }
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// Whether mail at `domain` can never reach anyone: the reserved test names of RFC 2606
/// and RFC 6761 (`.example`, `.invalid`, `.test`, `.localhost`, `example.com` …).
pub fn is_reserved_domain(domain: &str) -> bool {
    let d = domain.trim_end_matches('.').to_ascii_lowercase();
    let tld = d.rsplit('.').next().unwrap_or("");
    ["example", "invalid", "test", "localhost"].contains(&tld)
        || ["example.com", "example.net", "example.org"]
            .iter()
            .any(|e| d == *e || d.ends_with(&format!(".{e}")))
}

pub fn linkedin_for(first: &str, last: &str, seed: u64) -> String {
    format!(
        "https://www.linkedin.com/in/synthetic-{}-{}-{:04x}",
        slug(first),
        slug(last),
        seed & 0xffff
    )
}

/// A US number in the reserved 555-01xx range: (raw, sanitized).
pub fn phone(rng: &mut Rng) -> (String, String) {
    let line = rng.range(100, 199);
    let area = *rng.pick(&[415u32, 212, 312, 206, 512]);
    (
        format!("({area}) 555-0{line}"),
        format!("+1{area}5550{line}"),
    )
}

/// An Apollo-style 24-hex-digit id.
pub fn object_id(seed: u64) -> String {
    format!("{:016x}{:08x}", mix(seed), mix(seed ^ 0xabc) as u32)
}

/// A date in 2026 (`YYYY-MM-DD`).
pub fn date(rng: &mut Rng) -> String {
    format!("2026-{:02}-{:02}", rng.range(1, 10), rng.range(1, 28))
}

/// Minimal HTML escaping for text that came from a request.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_multibyte_characters_near_the_label_are_read_whole() {
        // A real Fortune 1000 name: the suffix check once sliced inside the '’' and
        // panicked, failing that target's request.
        let text = "Company: O’Reilly Automotive\nDomain: oreillyauto.com\n";
        assert_eq!(labelled_value(text, "company"), Some("O’Reilly Automotive"));
        assert_eq!(labelled_value(text, "domain"), Some("oreillyauto.com"));
        for text in [
            "company:é",
            "company é:x",
            "company’",
            "company",
            "ünïcode company: Ääkköset",
        ] {
            // Never panics, whatever follows the label.
            let _ = labelled_value(text, "company");
        }
        assert_eq!(
            labelled_value("ünïcode company: Ääkköset", "company"),
            Some("Ääkköset")
        );
    }

    #[test]
    fn extracts_labelled_company_and_domain() {
        let s = Subject::from_text(
            "Research this account.\nCompany: Acme Corp\nDomain: https://www.acme.com/about\n",
            1,
        );
        assert_eq!(s.company, "Acme Corp");
        assert_eq!(s.domain, "acme.com");
        assert!(s.email.ends_with("@acme.example"), "{}", s.email);
        let s = Subject::from_text(
            "Contact: Jane Doe, jane@acme.com, seen as jd@acme.example",
            1,
        );
        assert_eq!(s.email, "jd@acme.example");
    }

    #[test]
    fn extracts_from_json_and_bare_domain() {
        let s = Subject::from_text(
            r#"{"company_name": "Globex", "contact": "Jane Doe, VP"}"#,
            2,
        );
        assert_eq!(s.company, "Globex");
        assert_eq!(s.first_name, "Jane");
        assert_eq!(s.last_name, "Doe");
        assert_eq!(s.domain, "globex.example");
        let s = Subject::from_text("Tell me about initech.io please, e.g. funding", 2);
        assert_eq!(s.domain, "initech.io");
        assert_eq!(s.company, "Initech");
    }

    #[test]
    fn labels_need_word_boundary_and_colon() {
        assert_eq!(labelled_value("subcompany: X", "company"), None);
        assert_eq!(labelled_value("the company is big", "company"), None);
        assert_eq!(
            labelled_value("a\nCOMPANY : Foo Inc\n", "company"),
            Some("Foo Inc")
        );
    }

    #[test]
    fn fallback_is_deterministic() {
        let a = Subject::from_text("hello", 42);
        let b = Subject::from_text("hello", 42);
        assert_eq!(a.company, b.company);
        assert_eq!(a.email, b.email);
    }
}
