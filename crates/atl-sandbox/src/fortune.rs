//! The Fortune 1000 (2021) as a lookup by registrable domain: the companies a real
//! contact-data provider certainly knows. The sandbox names them and their CEOs as the
//! list does, so a run over that list meets the people it expects (or, at the usual
//! rates, a miss or someone who has moved on); everything else about them stays
//! synthetic. `data/fortune1000.tsv` says where the table comes from.

use std::collections::HashMap;
use std::sync::LazyLock;

const TABLE: &str = include_str!("../data/fortune1000.tsv");

#[derive(Debug, Clone, Copy)]
pub(crate) struct Company {
    pub name: &'static str,
    /// One name, or several separated by `/` (co-CEOs).
    pub ceo: &'static str,
    pub sector: &'static str,
    pub city: &'static str,
    pub state: &'static str,
    pub revenue_musd: f64,
    pub employees: u64,
}

impl Company {
    pub(crate) fn ceos(&self) -> impl Iterator<Item = &'static str> {
        self.ceo.split('/').map(str::trim).filter(|c| !c.is_empty())
    }
}

static BY_DOMAIN: LazyLock<HashMap<&'static str, Company>> = LazyLock::new(|| {
    TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|line| {
            let f: Vec<&'static str> = line.split('\t').collect();
            let [domain, name, ceo, sector, city, state, revenue, employees] = f[..] else {
                return None;
            };
            Some((
                domain,
                Company {
                    name,
                    ceo,
                    sector,
                    city,
                    state,
                    revenue_musd: revenue.parse().unwrap_or(0.0),
                    employees: employees.parse().unwrap_or(0),
                },
            ))
        })
        .collect()
});

/// The company behind a registrable domain (`walmart.com`), if it is on the list.
pub(crate) fn lookup(registrable: &str) -> Option<&'static Company> {
    BY_DOMAIN.get(registrable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_loads_whole() {
        assert!(BY_DOMAIN.len() > 990, "{}", BY_DOMAIN.len());
        let w = lookup("walmart.com").map(|c| (c.name, c.ceo, c.employees));
        assert_eq!(w, Some(("Walmart", "C. Douglas McMillon", 2_200_000)));
        let co = lookup("energytransfer.com").map(|c| c.ceos().count());
        assert_eq!(co, Some(2));
        assert!(lookup("acme-analytics.com").is_none());
    }
}
