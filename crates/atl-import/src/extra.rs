//! The `extra` JSON object, written straight into one `String` per row: a target costs a
//! single allocation for its other columns however many there are (see `NewTarget::extra`).

/// Builds `{"key":"value",...}` in column order.
pub(crate) struct ExtraWriter {
    out: String,
    empty: bool,
}

impl ExtraWriter {
    /// Writes into `buf` (cleared first), so one buffer can serve every row.
    pub(crate) fn new(mut buf: String) -> Self {
        buf.clear();
        let mut out = buf;
        out.push('{');
        ExtraWriter { out, empty: true }
    }

    pub(crate) fn push(&mut self, key: &str, value: &str) {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        push_json_string(&mut self.out, key);
        self.out.push(':');
        push_json_string(&mut self.out, value);
    }

    /// Pushes the pair only if the object, closed, stays within `max_bytes`; says whether
    /// it did.
    pub(crate) fn push_within(&mut self, key: &str, value: &str, max_bytes: usize) -> bool {
        let (len, empty) = (self.out.len(), self.empty);
        self.push(key, value);
        if self.out.len() + 1 > max_bytes {
            self.out.truncate(len);
            self.empty = empty;
            return false;
        }
        true
    }

    pub(crate) fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// JSON string escaping (RFC 8259): quotes, backslashes and control characters. Works on
/// bytes: every byte needing an escape is ASCII, so slicing there is always on a char
/// boundary, and long plain runs are copied at once.
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    let mut plain_from = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..0x20 => "",
            _ => continue,
        };
        out.push_str(&s[plain_from..i]);
        if escaped.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(escaped);
        }
        plain_from = i + 1;
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_parses_back_to_the_same_pairs() {
        let pairs = [
            ("__proto__", "x"),
            ("quote \" and \\", "line\nbreak\r\ttab \u{1} ctrl"),
            ("ünï", "😀"),
        ];
        let mut w = ExtraWriter::new(String::from("junk"));
        for (k, v) in pairs {
            w.push(k, v);
        }
        let json: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&w.finish()).unwrap();
        assert_eq!(json.len(), pairs.len());
        for (k, v) in pairs {
            assert_eq!(json[k], v);
        }
        assert_eq!(ExtraWriter::new(String::new()).finish(), "{}");
    }

    #[test]
    fn push_within_keeps_the_object_under_the_cap() {
        let mut w = ExtraWriter::new(String::new());
        assert!(w.push_within("a", "1", 12));
        assert!(
            !w.push_within("b", "2", 12),
            "with b the object is 17 bytes"
        );
        assert!(w.push_within("", "", 16));
        assert_eq!(w.finish(), r#"{"a":"1","":""}"#);
    }
}
