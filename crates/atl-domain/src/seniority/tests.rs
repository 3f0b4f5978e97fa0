use super::*;

/// `expected` is Apollo's string or "none"; `input` is a title, optionally followed by
/// " @@ " and the company's industry.
#[track_caller]
fn check(input: &str, expected: &str) {
    let (title, industry) = match input.split_once(" @@ ") {
        Some((t, i)) => (t, Some(i)),
        None => (input, None),
    };
    let got = classify(title, industry).map_or("none", Seniority::as_str);
    assert_eq!(got, expected, "title {title:?}, industry {industry:?}");
}

#[test]
fn the_known_failures() {
    for (input, expected) in [
        ("Product Owner", "entry"),
        ("Senior Product Owner", "senior"),
        ("Co-CEO", "c_suite"),
        ("V.P. Marketing", "vp"),
        ("VP-Sales", "vp"),
        ("Crew Chief", "manager"),
        ("Geschäftsführer", "c_suite"),
        ("Directeur Général", "c_suite"),
    ] {
        check(input, expected);
    }
}

#[test]
fn dotted_and_hyphenated_forms() {
    for (input, expected) in [
        ("S.V.P. Marketing", "vp"),
        ("E.V.P., Operations", "vp"),
        ("Sr. Dir. Demand Generation", "director"),
        ("Snr Software Engineer", "senior"),
        ("Dir. of Sales", "director"),
        ("Sr Mgr, RevOps", "manager"),
        ("Vice-President, Finance", "vp"),
        ("Co-Founder", "founder"),
        ("Cofounder & CTO", "founder"),
        ("C.E.O.", "c_suite"),
        ("ＣＥＯ", "c_suite"),
        ("A.V.P. Operations", "director"),
    ] {
        check(input, expected);
    }
}

#[test]
fn several_roles_keep_the_highest() {
    for (input, expected) in [
        ("CEO | Advisor | Investor", "c_suite"),
        ("Founder & CEO", "founder"),
        ("Owner / Founder", "owner"),
        ("VP Sales @ Acme Corp", "vp"),
        ("Head of Sales at Acme", "head"),
        ("Sales Manager - EMEA", "manager"),
        ("President and Chief Executive Officer", "c_suite"),
        ("Chief Sales and Marketing Officer", "c_suite"),
        ("Crew Chief and Safety Officer", "manager"),
        ("🚀 Head of Growth 🚀", "head"),
        ("代表取締役兼CEO", "c_suite"),
        ("Gründer und Geschäftsführer", "founder"),
    ] {
        check(input, expected);
    }
}

#[test]
fn past_roles_and_statuses_are_none() {
    for (input, expected) in [
        ("Former CEO", "none"),
        ("ex-Google, ex-Meta", "none"),
        ("Retired", "none"),
        ("CEO (retired)", "none"),
        ("CFO, Retired", "none"),
        ("Previously VP Sales at Acme", "none"),
        ("Past President", "none"),
        ("ehemaliger Geschäftsführer", "none"),
        ("Open to work", "none"),
        ("元社長", "none"),
        ("CEO | Former VP at Google", "c_suite"),
        // "Former" as a trade: a worker who forms parts.
        ("Counter Former", "entry"),
        ("", "none"),
        ("   ", "none"),
    ] {
        check(input, expected);
    }
}

#[test]
fn assistants_and_sellers_are_not_executives() {
    for (input, expected) in [
        ("Executive Assistant to the CEO", "entry"),
        ("Assistant to the CFO", "entry"),
        ("Assistant to the CEO and CFO", "entry"),
        ("Senior Executive Assistant", "senior"),
        ("President's Assistant", "entry"),
        ("VP Assistant", "entry"),
        ("Chief of Staff", "director"),
        ("Chief of Staff to the CEO", "director"),
        ("Account Executive", "senior"),
        ("Executive Recruiter", "entry"),
        ("Assistant Manager", "manager"),
        ("Assistant Director", "director"),
        ("Associate Director", "director"),
        ("EA to the CEO", "entry"),
        ("Lead EA", "senior"),
        ("Vorstandsassistentin", "entry"),
        ("Assistent der Geschäftsführung", "entry"),
        ("Assistente del direttore generale", "entry"),
        ("Secrétaire de direction", "entry"),
    ] {
        check(input, expected);
    }
}

#[test]
fn chief_head_owner_and_partner_only_as_ranks() {
    for (input, expected) in [
        ("Chief Engineer", "head"),
        ("Fire Chief", "head"),
        ("Chief Growth Officer", "c_suite"),
        ("Chief Executive", "c_suite"),
        ("Head of Revenue Operations", "head"),
        ("Head Chef", "manager"),
        ("Overhead Crane Operator", "entry"),
        ("Business Owner", "owner"),
        ("Co-Owner", "owner"),
        ("Process Owner", "entry"),
        ("Data Owner", "entry"),
        ("Iron Founder", "entry"),
        ("Managing Partner", "partner"),
        ("Partner Manager", "manager"),
        ("HR Business Partner", "entry"),
        ("Head of Partnerships", "head"),
        ("President", "c_suite"),
        ("Vice President", "vp"),
    ] {
        check(input, expected);
    }
}

#[test]
fn board_seats_are_none_and_chairs_are_officers() {
    for (input, expected) in [
        ("Non-Executive Director", "none"),
        ("Board Member", "none"),
        ("Independent Director", "none"),
        ("Member of the Board of Directors", "none"),
        ("Trustee", "none"),
        ("Aufsichtsratsvorsitzender", "none"),
        ("Consigliere di amministrazione", "none"),
        ("社外取締役", "none"),
        ("Chairman of the Board", "c_suite"),
        ("Executive Chairman", "c_suite"),
        ("Non-Executive Chairman", "none"),
        ("Board Mill Supervisor", "manager"),
    ] {
        check(input, expected);
    }
}

#[test]
fn industry_changes_vp_md_and_ed() {
    for (input, expected) in [
        ("Vice President @@ Investment Banking", "manager"),
        ("Vice President @@ Computer Software", "vp"),
        ("Senior Vice President @@ Banking", "director"),
        ("Executive Vice President @@ Banking", "vp"),
        ("AVP @@ Financial Services", "senior"),
        ("Assistant Vice President", "director"),
        ("Managing Director @@ Investment Banking", "vp"),
        ("Managing Director @@ Management Consulting", "partner"),
        ("Managing Director", "c_suite"),
        (
            "Executive Director @@ Non-profit Organization Management",
            "c_suite",
        ),
        ("Executive Director @@ Investment Banking", "director"),
        ("Bank President @@ Banking", "c_suite"),
        // The title names a banking business.
        ("Vice President, Investment Banking", "manager"),
        ("Managing Director - Capital Markets", "vp"),
        ("Managing Director & Partner", "partner"),
    ] {
        check(input, expected);
    }
}

#[test]
fn interns_and_trainees() {
    for (input, expected) in [
        ("Intern", "intern"),
        ("Marketing Intern", "intern"),
        ("Trainee", "intern"),
        ("Working Student", "intern"),
        ("Werkstudent Vertrieb", "intern"),
        ("Stagiaire", "intern"),
        ("Praktikantin Marketing", "intern"),
        ("Summer Analyst @@ Investment Banking", "intern"),
        ("Apprenticeship Consultant", "entry"),
        ("インターン", "intern"),
    ] {
        check(input, expected);
    }
}

#[test]
fn other_languages() {
    for (input, expected) in [
        // French
        ("PDG", "c_suite"),
        ("Président-Directeur Général", "c_suite"),
        ("Directeur commercial", "director"),
        ("Responsable marketing", "manager"),
        ("Chef de projet", "manager"),
        ("Chef des ventes", "head"),
        ("Gérant", "c_suite"),
        ("Gérant de magasin", "manager"),
        ("Associé", "partner"),
        ("Fondatrice", "founder"),
        // German
        ("Vorstandsvorsitzender", "c_suite"),
        ("Vorstand", "c_suite"),
        ("Bereichsleiter", "vp"),
        ("Abteilungsleiterin", "director"),
        ("Leiter Vertrieb", "head"),
        ("Reiseleiter", "entry"),
        ("Prokurist", "director"),
        ("Inhaber", "owner"),
        ("Teamleiterin", "manager"),
        ("Gründerin", "founder"),
        // Spanish
        ("Director General", "c_suite"),
        ("Consejero Delegado", "c_suite"),
        ("Gerente General", "c_suite"),
        ("Jefe de ventas", "head"),
        ("Jefe de proyecto", "manager"),
        ("Socio", "partner"),
        ("Fundador", "founder"),
        ("Coordinador de eventos", "entry"),
        // Portuguese
        ("Diretor Executivo", "c_suite"),
        ("Diretor-Presidente", "c_suite"),
        ("Gerente de Vendas", "manager"),
        ("Gerente Geral", "director"),
        ("Sócio-fundador", "founder"),
        ("Coordenador de TI", "manager"),
        // Italian
        ("Amministratore Delegato", "c_suite"),
        ("Direttore Generale", "c_suite"),
        ("Responsabile commerciale", "manager"),
        ("Titolare", "owner"),
        ("Vicepresidente", "vp"),
        // Japanese
        ("代表取締役社長", "c_suite"),
        ("執行役員", "vp"),
        ("本部長", "vp"),
        ("部長", "director"),
        ("課長", "manager"),
        ("係長", "manager"),
        ("主任", "senior"),
        ("営業担当", "entry"),
        ("創業者", "founder"),
    ] {
        check(input, expected);
    }
}

#[test]
fn apollo_value_wins_over_title() {
    assert_eq!(
        normalise(Some("director"), Some("CEO"), None),
        Some(Seniority::Director)
    );
    assert_eq!(
        normalise(Some("c_level"), None, None),
        Some(Seniority::CSuite)
    );
    assert_eq!(
        normalise(Some("bogus"), Some("VP Sales"), None),
        Some(Seniority::Vp)
    );
    assert_eq!(
        normalise(None, Some("Vice President"), Some("Banking")),
        Some(Seniority::Manager)
    );
    assert_eq!(normalise(None, None, None), None);
}

#[test]
fn vocabulary_serde_and_executives() {
    for s in Seniority::ALL {
        assert_eq!(Seniority::parse(s.as_str()), Some(s));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, format!("\"{}\"", s.as_str()));
        assert_eq!(serde_json::from_str::<Seniority>(&json).unwrap(), s);
    }
    assert_eq!(Seniority::parse(" C-Suite "), Some(Seniority::CSuite));
    assert_eq!(Seniority::parse("boss"), None);
    let execs: Vec<&str> = Seniority::ALL
        .into_iter()
        .filter(|s| s.is_executive())
        .map(Seniority::as_str)
        .collect();
    assert_eq!(
        execs,
        ["owner", "founder", "c_suite", "partner", "vp", "head"]
    );
}

#[test]
fn the_word_tables_parse_whole() {
    let l = super::lexicon::lexicon();
    let sizes = [
        ("c_acronyms", l.c_acronyms.len(), 22),
        ("assistant", l.assistant.len(), 12),
        ("to", l.to.len(), 12),
        ("framework_owned", l.framework_owned.len(), 20),
        ("foundry", l.foundry.len(), 9),
        ("partner_rank", l.partner_rank.len(), 19),
        ("small_team", l.small_team.len(), 8),
        ("manager_words", l.manager_words.len(), 10),
        ("intern_words", l.intern_words.len(), 7),
        ("seats", l.seats.len(), 12),
        ("team_leads", l.team_leads.len(), 7),
        ("not_leaders", l.not_leaders.len(), 4),
        ("founders", l.founders.len(), 12),
        ("owners", l.owners.len(), 7),
        ("directors", l.directors.len(), 15),
        ("managers", l.managers.len(), 14),
        ("interns", l.interns.len(), 15),
        ("team_objects", l.team_objects.len(), 15),
        ("board_members", l.board_members.len(), 6),
        ("german_assistants", l.german_assistants.len(), 7),
        ("delegating", l.delegating.len(), 6),
    ];
    for (name, len, expected) in sizes {
        assert_eq!(len, expected, "{name}");
    }
    // Folded words only: the rules compare against folded titles.
    for w in l.c_acronyms.iter().chain(&l.founders).chain(&l.seats) {
        assert_eq!(*w, w.to_lowercase(), "{w}");
        assert!(w.is_ascii(), "{w}");
    }
}
