//! Keeping keys out of errors.

use crate::ProviderError;
use secrecy::{ExposeSecret, SecretString};

/// Replaces any occurrence of `key` in the error's text with `[redacted]`. A second line
/// of defence: messages are built from bodies and statuses, never from requests, but a
/// server could echo a key back.
pub fn redact_error(mut err: ProviderError, key: Option<&SecretString>) -> ProviderError {
    let Some(key) = key.map(|k| k.expose_secret()).filter(|k| k.len() >= 4) else {
        return err;
    };
    let clean = |s: &mut String| {
        if s.contains(key) {
            *s = s.replace(key, "[redacted]");
        }
    };
    clean(&mut err.message);
    clean(&mut err.provider);
    if let Some(url) = &mut err.url {
        clean(url);
    }
    err
}

/// `NotConfigured` for a client built without the key it needs.
pub(crate) fn require_key<'a>(
    provider: &str,
    key: Option<&'a SecretString>,
) -> Result<&'a SecretString, ProviderError> {
    key.filter(|k| !k.expose_secret().trim().is_empty())
        .ok_or_else(|| ProviderError::not_configured(provider, "no API key configured"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_replaces_the_key_everywhere() {
        let key = SecretString::from("sk-secret-1234");
        let e = ProviderError::bad_request("p", 400, "bad key sk-secret-1234");
        let e = redact_error(e, Some(&key));
        assert!(!e.to_string().contains("sk-secret-1234"));
        assert!(!format!("{e:?}").contains("sk-secret-1234"));
        assert!(e.message.contains("[redacted]"));
        let b = ProviderError::blocked("http://x/?k=sk-secret-1234", "echo sk-secret-1234");
        let b = redact_error(b, Some(&key));
        assert!(!format!("{b} {b:?}").contains("sk-secret-1234"));
        // Keys too short to be real are not hunted for (they would match ordinary text).
        let e = redact_error(ProviderError::quota("p", "abc"), Some(&"abc".into()));
        assert_eq!(e.message, "abc");
    }
}
