//! No reply, from any route, ever holds an e-mail address at a domain that could
//! receive mail.

use super::*;

fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

/// Every `x@y.z` in `text`.
fn addresses(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if c != '@' {
            continue;
        }
        let start = (0..i).rev().take_while(|&j| local_char(chars[j])).last();
        let end = (i + 1..chars.len())
            .take_while(|&j| chars[j].is_ascii_alphanumeric() || chars[j] == '.' || chars[j] == '-')
            .last();
        if let (Some(s), Some(e)) = (start, end) {
            let domain: String = chars[i + 1..=e]
                .iter()
                .collect::<String>()
                .trim_end_matches('.')
                .to_string();
            if domain.contains('.') {
                out.push(format!(
                    "{}@{domain}",
                    chars[s..i].iter().collect::<String>()
                ));
            }
        }
    }
    out
}

fn reserved(address: &str) -> bool {
    let domain = address
        .rsplit('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    [".example", ".invalid", ".test", ".localhost"]
        .iter()
        .any(|t| domain.ends_with(t))
}

#[test]
fn the_scanner_finds_addresses() {
    let found = addresses(r#"{"email":"jane.doe@acme.com","x":"VP @ Acme","y":"a@b.example."}"#);
    assert_eq!(found, ["jane.doe@acme.com", "a@b.example"]);
    assert!(!reserved(&found[0]) && reserved(&found[1]));
}

sandbox_test!(no_reply_ever_holds_an_address_at_a_real_domain, |sb, c| {
    let companies = [
        ("Walmart", "walmart.com", "C. Douglas McMillon"),
        ("Apple", "apple.com", "Timothy D. Cook"),
        ("Acme Analytics", "acme-analytics.com", "Ada Lovelace"),
        ("Globex", "globex.co.uk", "Hank Scorpio"),
        ("Initech", "initech.io", "Bill Lumbergh"),
    ];
    let mut bodies: Vec<String> = Vec::new();
    let mut seen = 0;
    for (company, domain, contact) in companies {
        for i in 0..8 {
            let who = if i == 0 {
                contact.to_string()
            } else {
                format!("Sam{i} Testwell")
            };
            let email_in = format!("{}@{domain}", who.to_lowercase().replace(' ', "."));
            let person = json!({"name": who, "domain": domain, "email": email_in});
            let (_, _, t) = c.post_text("/api/v1/people/match", &person).await?;
            // Verify what Apollo gave (an address at a reserved domain, or none).
            let p: Value = serde_json::from_str(&t)?;
            bodies.push(t);
            if let Some(e) = p["person"]["email"].as_str() {
                let path = format!("/v2/email-verifier?email={e}");
                bodies.push(c.get_text(&path).await?.1);
            }
            let (first, last) = who.split_once(' ').unwrap_or((&who, "X"));
            let path =
                format!("/v2/email-finder?domain={domain}&first_name={first}&last_name={last}");
            bodies.push(c.get_text(&path).await?.1);
        }
        let details: Vec<Value> = (0..10).map(|i| json!({"first_name": format!("Lee{i}"), "last_name": "Quillon", "domain": domain})).collect();
        bodies.push(
            c.post_text("/api/v1/people/bulk_match", &json!({"details": details}))
                .await?
                .2,
        );
        for path in ["mixed_people/api_search", "mixed_people/search"] {
            let q = json!({"q_organization_domains_list": [domain], "per_page": 100});
            bodies.push(c.post_text(&format!("/api/v1/{path}"), &q).await?.2);
        }
        let path = format!("/api/v1/organizations/enrich?domain={domain}");
        bodies.push(c.get_text(&path).await?.1);
        // The models are told the real address; their answers must not repeat it.
        let prompt = format!(
            "Company: {company}\nDomain: {domain}\nContact: {contact}, {}@{domain}",
            contact.to_lowercase().replace(' ', ".")
        );
        let schema = json!({"type": "object", "properties": {"contact": {"type": "object", "properties": {
            "name": {"type": "string"}, "email": {"type": "string", "format": "email"}, "work_email": {"type": "string"}}},
            "executives": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"}}}}}});
        let mut body = chat_body(&prompt);
        body["response_format"] =
            json!({"type": "json_schema", "json_schema": {"name": "x", "schema": schema}});
        bodies.push(c.post_text("/v1/chat/completions", &body).await?.2);
        let msg = json!({"model": "claude-haiku-5-5", "max_tokens": 500, "messages": [{"role": "user", "content": prompt}],
                         "tools": [{"name": "record_contact", "input_schema": schema}]});
        bodies.push(c.post_text("/v1/messages", &msg).await?.2);
        bodies.push(
            c.post_text(
                "/search",
                &json!({"query": format!("{company} {domain} CEO email"), "max_results": 20}),
            )
            .await?
            .2,
        );
        let path = format!("/res/v1/web/search?q={company}+{domain}");
        bodies.push(c.get_text(&path).await?.1);
        bodies.push(
            c.post_text(
                "/serper/search",
                &json!({"q": format!("{company} {domain} news")}),
            )
            .await?
            .2,
        );
        for page in ["", "about", "news"] {
            let path = format!("/sites/{domain}/{page}");
            bodies.push(c.get_text(&path).await?.1);
        }
    }
    for b in &bodies {
        for a in addresses(b) {
            seen += 1;
            assert!(reserved(&a), "{a} in a reply: {}", &b[..b.len().min(300)]);
        }
    }
    assert!(
        bodies.len() > 150 && seen > 100,
        "{} replies, {seen} addresses",
        bodies.len()
    );
});
