//! The loader as a table: each row is (environment, file, what the settings say).

use super::*;

/// The settings in one line, the fields a layer can change.
fn summary(s: &Settings) -> String {
    format!(
        "db={} pool={} pgssl={} data={} sandbox={} conc={} host={} addr={} log={}",
        s.database.url,
        s.database.max_connections,
        s.database.pgsslmode_set,
        s.data_dir.display(),
        s.sandbox.url.as_ref().map_or("-", |u| u.as_str()),
        s.engine.concurrency,
        s.engine.host_fallback.as_deref().unwrap_or("-"),
        s.server.addr,
        s.log.as_deref().unwrap_or("-"),
    )
}

fn env_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[track_caller]
fn load(env: &[(&str, &str)], file: Option<&str>) -> Settings {
    Settings::load(&env_of(env), file).unwrap_or_else(|e| panic!("{e}"))
}

#[track_caller]
fn check(env: &[(&str, &str)], file: Option<&str>, expected: &str) {
    let settings = load(env, file);
    assert_eq!(summary(&settings), expected, "env {env:?}, file {file:?}");
}

#[track_caller]
fn check_error(env: &[(&str, &str)], file: Option<&str>, expected: &str) {
    match Settings::load(&env_of(env), file) {
        Ok(s) => panic!("expected an error, got {}", summary(&s)),
        Err(e) => assert_eq!(e.to_string(), expected, "env {env:?}, file {file:?}"),
    }
}

const DEFAULTS: &str = "db=sqlite://atl.db pool=20 pgssl=false data=atl-data sandbox=- conc=64 \
                        host=- addr=127.0.0.1:8080 log=-";

#[test]
fn defaults_then_file_then_environment() {
    check(&[], None, DEFAULTS);
    // Blank values say nothing.
    check(
        &[
            ("ATL_DATABASE_URL", "  "),
            ("ATL_DATA_DIR", ""),
            ("ATL_LOG", " "),
        ],
        None,
        DEFAULTS,
    );
    check(
        &[],
        Some(
            "data_dir = \"/var/atl\"\n[database]\nurl = \"postgres://db/atl\"\nmax_connections = 5\n\
             [engine]\nconcurrency = 8\n[server]\naddr = \"0.0.0.0:9000\"\n\
             [sandbox]\nurl = \"http://127.0.0.1:8787\"\n",
        ),
        "db=postgres://db/atl pool=5 pgssl=false data=/var/atl sandbox=http://127.0.0.1:8787/ \
         conc=8 host=- addr=0.0.0.0:9000 log=-",
    );
    check(
        &[
            ("ATL_DATABASE_URL", " postgres://env/atl "),
            ("ATL_DB_MAX_CONNECTIONS", "40"),
            ("PGSSLMODE", "require"),
            ("ATL_DATA_DIR", "/tmp/d"),
            ("ATL_SANDBOX_URL", "http://127.0.0.1:9999"),
            ("HOSTNAME", "w1"),
            ("ATL_LOG", "debug"),
        ],
        Some(
            "data_dir = \"/var/atl\"\n[database]\nurl = \"postgres://db/atl\"\nmax_connections = 5\n",
        ),
        "db=postgres://env/atl pool=40 pgssl=true data=/tmp/d sandbox=http://127.0.0.1:9999/ \
         conc=64 host=w1 addr=127.0.0.1:8080 log=debug",
    );
}

#[test]
fn unusable_pool_sizes_fall_back() {
    for (env, file, pool) in [
        (Some("many"), None, 20),
        (Some("0"), None, 20),
        (Some("many"), Some(7), 7),
        (None, Some(0), 20),
        (Some("3"), Some(7), 3),
    ] {
        let env: Vec<(&str, &str)> = env
            .map(|v| ("ATL_DB_MAX_CONNECTIONS", v))
            .into_iter()
            .collect();
        let file = file.map(|n| format!("[database]\nmax_connections = {n}\n"));
        let s = load(&env, file.as_deref());
        assert_eq!(s.database.max_connections, pool, "{env:?} {file:?}");
    }
}

#[test]
fn refusals_name_the_setting() {
    check_error(
        &[("ATL_SANDBOX_URL", "not a url")],
        None,
        "ATL_SANDBOX_URL `not a url`: relative URL without a base",
    );
    check_error(
        &[],
        Some("[sandbox]\nurl = \"::\"\n"),
        "[sandbox] url `::`: relative URL without a base",
    );
    check_error(
        &[],
        Some("[server]\naddr = \"localhost\"\n"),
        "[server] addr `localhost`: invalid socket address syntax",
    );
    let typo = Settings::load(&HashMap::new(), Some("[engine]\nconcurency = 3\n"))
        .unwrap_err()
        .to_string();
    assert!(
        typo.starts_with("atl.toml:") && typo.contains("concurency"),
        "{typo}"
    );
}

#[test]
fn the_file_keeps_the_providers_sections_for_the_providers() {
    let s = load(
        &[("OPENAI_API_KEY", "sk-test")],
        Some("data_dir = \"d\"\n[routes]\nresearch = [\"openai:gpt-test\"]\n"),
    );
    let routes = s.providers.config.routes_for("research");
    assert_eq!(routes[0].to_string(), "openai:gpt-test");
    assert_eq!(s.data_dir, PathBuf::from("d"));
}

#[test]
fn the_engine_config_takes_the_process_settings() {
    let s = load(
        &[("ATL_DATA_DIR", "/tmp/x")],
        Some("[engine]\nconcurrency = 5\n"),
    );
    let c = s.engine_config(None);
    assert_eq!(
        (c.concurrency, c.data_dir.clone()),
        (5, PathBuf::from("/tmp/x"))
    );
    assert!(c.owner.starts_with(&c.host), "{} {}", c.owner, c.host);
    assert_eq!(s.engine_config(Some(0)).concurrency, 1);
    assert_eq!(s.engine_config(Some(12)).concurrency, 12);
    // `max_attempts` is the retry policy's own default, not restated here.
    assert_eq!(c.retry, atl_domain::RetryPolicy::default());
}

#[test]
fn the_server_section_names_hosts_and_origins_and_none_by_default() {
    let none = load(&[], None);
    assert!(none.server.public_names.is_empty());
    assert!(
        none.server.cors_origins.is_empty(),
        "CORS closed by default"
    );
    let s = load(
        &[],
        Some(
            "[server]\npublic_names = [\"atl.example.com\"]\n\
             cors_origins = [\"https://crm.example.com\"]\n",
        ),
    );
    assert_eq!(s.server.public_names, ["atl.example.com"]);
    assert_eq!(s.server.cors_origins, ["https://crm.example.com"]);
    // A misspelt key is an error, not a silently closed (or open) door.
    let err = Settings::load(
        &env_of(&[]),
        Some("[server]\ncors_origin = \"https://crm.example.com\"\n"),
    )
    .expect_err("unknown key");
    assert!(
        err.to_string().contains("unknown field `cors_origin`"),
        "{err}"
    );
}
