//! French, German, Spanish, Portuguese and Italian title words (folded: no accents, lower
//! case, so `Geschäftsführer` is `geschaftsfuhrer` and `Sócio` is `socio`).
//!
//! A part with any of these words is decided here; a part without them goes to the
//! English rules. Where a word means one thing in one language and another elsewhere the
//! spellings differ and the table follows them: Spanish "coordinador" is a coordinator
//! (entry), Portuguese "coordenador" leads a team (manager, the rank between supervisor
//! and gerente in Brazilian companies); Spanish "gerente general" runs the company,
//! Portuguese "gerente geral" sits below the diretoria (director).

use super::Seniority::{self, *};
use super::lexicon::lexicon;

/// `None`: no word of these languages; `Some(None)`: a board seat; `Some(Some(level))`.
pub(super) fn classify(words: &[String]) -> Option<Option<Seniority>> {
    if super::english::is_assistant_title(words) {
        // "Assistente del direttore generale" assists the DG: the English rule ranks it.
        return None;
    }
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    if board_seat(&w) {
        return Some(None);
    }
    [german(&w), romance(&w)]
        .into_iter()
        .flatten()
        .min()
        .map(Some)
}

fn has(w: &[&str], set: &[&str]) -> bool {
    w.iter().any(|x| set.contains(x))
}

fn after<'a>(w: &'a [&str], word: &[&str]) -> Option<&'a str> {
    let i = w.iter().position(|x| word.contains(x))?;
    w.get(i + 1).copied()
}

/// Supervisory and advisory boards, and board members who are not the managing one
/// ("consigliere delegato" and "consejero delegado" run the company).
fn board_seat(w: &[&str]) -> bool {
    let delegated = has(w, &["delegado", "delegada", "delegato", "delegata"]);
    w.iter()
        .any(|x| x.starts_with("aufsichtsrat") || x.starts_with("beirat"))
        || (!delegated && has(w, &lexicon().board_members))
        || (has(w, &["administrateur", "administratrice"])
            && has(w, &["independant", "independante"]))
        || (has(w, &["membre", "miembro", "membro"])
            && has(w, &["conseil", "consejo", "conselho", "consiglio"]))
}

/// German compounds carry the rank in their last element: Vertriebs*leiter*, Agentur
/// *inhaber*, Haupt*geschäftsführer*, Mit*gründer*.
fn german(w: &[&str]) -> Option<Seniority> {
    let ends = |suffixes: &[&str]| w.iter().any(|x| suffixes.iter().any(|s| x.ends_with(s)));
    // Vorstandsassistentin, Assistent der Geschäftsführung, Vorstandsreferent: they
    // support the executives (the compound names whom), they are not executives.
    if ends(&lexicon().german_assistants) {
        return Some(Entry);
    }
    if ends(&["grunder", "grunderin"]) {
        return Some(Founder);
    }
    if ends(&["inhaber", "inhaberin"]) {
        return Some(Owner);
    }
    if w.iter()
        .any(|x| x.contains("geschaftsfuhr") || x.starts_with("vorstand"))
    {
        // Geschäftsführer (GmbH) and Vorstand (AG) are the managing board: C-level.
        return Some(CSuite);
    }
    if has(
        w,
        &[
            "gesellschafter",
            "gesellschafterin",
            "teilhaber",
            "teilhaberin",
        ],
    ) {
        return Some(Partner);
    }
    // Austrian and German firms map Bereichsleiter to Vice President, Abteilungsleiter to
    // Director and Gruppenleiter to team leader.
    if ends(&["bereichsleiter", "bereichsleiterin", "bereichsleitung"]) {
        return Some(Vp);
    }
    if ends(&[
        "abteilungsleiter",
        "abteilungsleiterin",
        "abteilungsleitung",
    ]) || w.iter().any(|x| x.starts_with("prokurist"))
        || has(w, &["direktor", "direktorin"])
    {
        // A Prokurist holds the firm's general power of attorney: senior management
        // below the Geschäftsführer.
        return Some(Director);
    }
    if w.iter().any(|x| {
        lexicon()
            .team_leads
            .iter()
            .any(|t| x.ends_with(t) || x.ends_with(&format!("{t}in")))
    }) {
        return Some(Manager);
    }
    // Not leaders: a tour guide, a companion, a semiconductor, a lightning rod.
    if w.iter().any(|x| {
        (x.ends_with("leiter") || x.ends_with("leiterin") || x.ends_with("leitung"))
            && !lexicon().not_leaders.iter().any(|n| x.ends_with(n))
    }) {
        // Leiter Vertrieb, Vertriebsleiter, Marketingleiterin: the head of a function.
        return Some(Head);
    }
    if w.iter().any(|x| {
        x.starts_with("werkstudent")
            || x.starts_with("praktikant")
            || x.starts_with("auszubildend")
            || *x == "azubi"
    }) {
        return Some(Intern);
    }
    if has(w, &["experte", "expertin"]) {
        return Some(Senior);
    }
    None
}

/// French, Spanish, Portuguese and Italian.
fn romance(w: &[&str]) -> Option<Seniority> {
    if has(w, &lexicon().founders) {
        return Some(Founder);
    }
    if has(w, &lexicon().owners) {
        return Some(Owner);
    }
    if let Some(level) = romance_c_suite(w) {
        return Some(level);
    }
    if has(
        w,
        &["associe", "associee", "socio", "socia", "socios", "soci"],
    ) {
        // Associé, socio, sócio: a partner (co-owner) of a firm.
        return Some(Partner);
    }
    if has(w, &["vicepresidente", "vicepresidenta"])
        || w.windows(2)
            .any(|p| p[0] == "vice" && matches!(p[1], "presidente" | "presidenta"))
    {
        return Some(Vp);
    }
    if let Some(level) = chief_of(w) {
        return Some(level);
    }
    if has(w, &lexicon().directors) || (w.contains(&"gerente") && w.contains(&"geral")) {
        return Some(Director);
    }
    if has(w, &lexicon().managers) || w.first() == Some(&"capo") {
        return Some(Manager);
    }
    if has(w, &lexicon().interns) || w.windows(2).any(|p| p == ["en", "practicas"]) {
        return Some(Intern);
    }
    if has(w, &["esperto", "esperta", "experte"]) {
        return Some(Senior);
    }
    None
}

fn romance_c_suite(w: &[&str]) -> Option<Seniority> {
    // The head of the company: PDG, directeur général, administrateur délégué, director
    // general / ejecutivo, consejero delegado, gerente general, diretor executivo / geral /
    // presidente / superintendente, presidente, amministratore delegato / unico,
    // consigliere delegato, direttore generale, and a bare "gérant" (the legal manager of a
    // French SARL, its boss; a "gérant de magasin" manages a shop).
    let top_director = after(w, &["directeur", "directrice", "director", "directora"])
        .is_some_and(|n| matches!(n, "general" | "generale" | "ejecutivo" | "ejecutiva"))
        || after(w, &["diretor", "diretora"]).is_some_and(|n| {
            matches!(
                n,
                "executivo" | "executiva" | "geral" | "presidente" | "superintendente"
            )
        })
        || after(w, &["direttore", "direttrice"]).is_some_and(|n| n == "generale")
        || after(w, &["gerente"]).is_some_and(|n| n == "general");
    let delegate = after(w, &lexicon().delegating).is_some_and(|n| {
        matches!(
            n,
            "delegue" | "deleguee" | "delegado" | "delegada" | "delegato" | "delegata" | "unico"
        )
    });
    let president = has(w, &["presidente", "presidenta"]) && !w.contains(&"vice");
    if top_director
        || delegate
        || president
        || has(w, &["pdg", "dg"])
        || matches!(w, ["gerant"] | ["gerante"])
    {
        return Some(CSuite);
    }
    None
}

/// "Chef de …", "jefe de …": the head of a function (chef des ventes, jefe de ventas),
/// except for a project, a team, a product, a shop floor or a site (chef de projet, jefe
/// de proyecto, chef d'équipe): those are managers.
fn chief_of(w: &[&str]) -> Option<Seniority> {
    let i = w
        .iter()
        .position(|x| matches!(*x, "chef" | "jefe" | "jefa"))?;
    let next = w.get(i + 1).copied();
    if w[i] == "chef" && !matches!(next, Some("de" | "des" | "du" | "d")) {
        // A cook, or English "Head Chef".
        return None;
    }
    let object = w.iter().skip(i + 1).find(|x| {
        !matches!(
            **x,
            "de" | "des" | "du" | "d" | "la" | "le" | "l" | "del" | "los" | "las"
        )
    });
    Some(match object {
        Some(o) if lexicon().team_objects.contains(o) => Manager,
        _ => Head,
    })
}
