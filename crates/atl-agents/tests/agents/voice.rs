use super::*;
use atl_agents::{AudioMode, EnrichmentAgent, ResearchAgent, VoiceAgent};
use atl_domain::records::CallScript;

#[tokio::test]
async fn the_script_greets_the_contact_by_the_name_a_caller_says() {
    let env = Env::healthy().await;
    let mut input = env.input("Walmart", Some("walmart.com"));
    input.contact_name = Some("C. Douglas McMillon".into());
    let research = env.run(&ResearchAgent::new(env.kit.clone()), &input).await;
    let enrichment = env
        .run(&EnrichmentAgent::new(env.kit.clone()), &input)
        .await;
    let r = env
        .run(
            &VoiceAgent::new(env.kit.clone()),
            &with_prior(input, &[&research, &enrichment]),
        )
        .await;
    check_common(&r, SubAgentKind::Voice);
    let script = record::<CallScript>(&r).record;
    assert_eq!(script.greeting_name.as_deref(), Some("Douglas"));
    let words: Vec<String> = script
        .opener
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .collect();
    assert!(words.contains(&"douglas".to_string()), "{}", script.opener);
    assert!(!script.opener.contains("Hi C.,"), "{}", script.opener);
    assert!(!script.generic);
    assert_eq!(script.questions.len(), 2);
    assert!(script.text.contains(&script.opener) && script.text.contains(&script.close));
    assert!(
        script.audio.is_none(),
        "audio is rendered on demand, not in the job"
    );
    if let Some(src) = &script.reason_source {
        let brief = record::<atl_domain::records::ResearchBrief>(&research).record;
        assert!(
            brief.fresh_reasons().any(|(_, url, _)| url == src),
            "the reason rests on a fresh, sourced item: {src}"
        );
    }
}

#[tokio::test]
async fn without_research_the_script_is_generic_and_says_so() {
    let env = Env::healthy().await;
    let input = env.input("Globex Logistics", None);
    let r = env.run(&VoiceAgent::new(env.kit.clone()), &input).await;
    let s = record::<CallScript>(&r);
    assert!(s.record.generic);
    assert!(s.record.reason_source.is_none());
    assert!(
        s.meta
            .warnings
            .iter()
            .any(|w| w == "no research: generic script"),
        "{:?}",
        s.meta.warnings
    );
    assert!(s.record.greeting_name.is_none(), "nobody to greet");
}

#[tokio::test]
async fn eager_audio_is_written_under_the_attempts_name_and_cut_audio_is_refused() {
    let env = Env::healthy().await;
    let mut input = env.input("Globex Logistics", None);
    input.options.audio = AudioMode::Eager;
    input.attempt = 2;
    let r = env.run(&VoiceAgent::new(env.kit.clone()), &input).await;
    let audio = record::<CallScript>(&r)
        .record
        .audio
        .expect("eager mode renders in the job");
    assert_eq!(audio.path, "audio/target-11-a2.wav");
    // The run writes beside the final name; the engine moves it there after the commit.
    let artefact = r
        .artefacts
        .first()
        .expect("the audio is reported as an artefact");
    assert_eq!(artefact.final_path, env.dir.join(&audio.path));
    assert!(artefact.temp_path.is_file() && !artefact.final_path.exists());
    assert!(audio.seconds > 1.0);
    assert_eq!(audio.tts_provider, "cartesia");

    let cut = Env::faulty(|c| c.cartesia.faults.truncated_audio = every(1)).await;
    let mut input = cut.input("Globex Logistics", None);
    input.options.audio = AudioMode::Eager;
    let err = VoiceAgent::new(cut.kit.clone())
        .run(&input)
        .await
        .expect_err("half-cut audio is never stored as complete");
    assert!(err.is_retryable(), "{err:?}");
    assert!(
        err.spent_nano_usd > 0,
        "the model call and the cut render were paid"
    );
    let left = std::fs::read_dir(cut.dir.join("audio"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "no file of the refused audio is left behind");
}

#[tokio::test]
async fn a_model_that_names_another_person_never_gets_that_name_into_the_greeting() {
    let env = Env::faulty(|c| c.chat.faults.other_person = every(1)).await;
    // With a contact, the greeting is the contact's; without one, nobody's.
    let mut with_contact = env.input("Walmart", Some("walmart.com"));
    with_contact.contact_name = Some("C. Douglas McMillon".into());
    let r = env
        .run(&VoiceAgent::new(env.kit.clone()), &with_contact)
        .await;
    let script = record::<CallScript>(&r).record;
    assert!(
        script.opener.starts_with("Hi Douglas,") || script.opener.contains("Douglas"),
        "{}",
        script.opener
    );
    let nobody = env.input("Globex Logistics", None);
    let r = env.run(&VoiceAgent::new(env.kit.clone()), &nobody).await;
    let script = record::<CallScript>(&r).record;
    // "Hi, this is…" — the greeting word stands alone before its comma.
    let first = script.opener.split([',', '!']).next().unwrap_or_default();
    assert!(
        ["hi", "hello", "hey", "good morning", "good afternoon"]
            .contains(&first.trim().to_lowercase().as_str())
            || !first.trim().to_lowercase().starts_with("hi "),
        "no invented name after the greeting: {}",
        script.opener
    );
    assert!(script.greeting_name.is_none());
}
