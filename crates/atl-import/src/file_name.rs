//! The name of an uploaded file, as it is stored with its campaign and shown back.
//!
//! Browsers and scripts send whatever they like as a multipart file name: a full Windows
//! path, `../../etc/passwd`, a megabyte of text, terminal escapes, right-to-left
//! overrides that make `evil\u{202E}vsc.exe` read as `evilexe.csv`. Only the last path
//! component is meaningful, and it must fit a file-system name.

/// Longest stored file name, in bytes (the usual file-system limit).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// What an upload is called when its name has nothing left to keep.
pub const FALLBACK_FILE_NAME: &str = "upload.csv";

/// Extensions up to this many bytes (with the dot) survive when a long name is cut, so
/// `….csv` still says what it is.
const MAX_KEPT_EXTENSION_BYTES: usize = 16;

/// The last path component of `raw` (after `/` or `\`), without control characters,
/// bidirectional overrides or surrounding whitespace, cut to [`MAX_FILE_NAME_BYTES`] at a
/// character boundary (keeping a short extension); never empty, never `.` or `..`.
pub fn sanitize_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let cleaned: String = last
        .chars()
        .filter(|&c| !c.is_control() && !is_bidi_control(c))
        .collect();
    let name = cleaned.trim();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        return FALLBACK_FILE_NAME.to_string();
    }
    if name.len() <= MAX_FILE_NAME_BYTES {
        return name.to_string();
    }
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.len() > 1 && ext.len() <= MAX_KEPT_EXTENSION_BYTES)
        .unwrap_or("");
    let mut end = MAX_FILE_NAME_BYTES - extension.len();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let stem = name[..end].trim_end();
    if stem.is_empty() {
        return FALLBACK_FILE_NAME.to_string();
    }
    format!("{stem}{extension}")
}

/// Characters that reorder the text around them (Unicode's bidirectional embeddings,
/// overrides, isolates and marks): harmless in data, misleading in a name.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let check = |raw: &str, expected: &str| {
            assert_eq!(sanitize_file_name(raw), expected, "{raw:?}");
        };
        check("targets.csv", "targets.csv");
        check("  targets.csv \n", "targets.csv");
        check("C:\\Users\\jo\\Desktop\\Q3 list.csv", "Q3 list.csv");
        check("/home/jo/lists/q3.csv", "q3.csv");
        check("../../etc/passwd", "passwd");
        check("a/b\\c.csv", "c.csv");
        check("dir/", FALLBACK_FILE_NAME);
        check("", FALLBACK_FILE_NAME);
        check("..", FALLBACK_FILE_NAME);
        check("\u{1b}[31mred\u{1b}[0m.csv", "[31mred[0m.csv");
        check("nul\0byte.csv", "nulbyte.csv");
        check("evil\u{202E}vsc.exe", "evilvsc.exe");
        check("\u{0}\u{7f}\u{85}", FALLBACK_FILE_NAME);
        check("リスト.csv", "リスト.csv");
    }

    #[test]
    fn long_names_are_cut_at_a_char_boundary_keeping_the_extension() {
        let long = format!("{}.csv", "a".repeat(1024 * 1024));
        let cut = sanitize_file_name(&long);
        assert_eq!(cut.len(), MAX_FILE_NAME_BYTES);
        assert!(cut.ends_with("aaaa.csv"), "{cut}");

        // 3-byte characters: 255 - 4 = 251 bytes leave room for 83 of them.
        let japanese = format!("{}.csv", "名".repeat(200));
        let cut = sanitize_file_name(&japanese);
        assert!(cut.len() <= MAX_FILE_NAME_BYTES);
        assert_eq!(cut, format!("{}.csv", "名".repeat(83)));

        // No extension worth keeping: cut the whole name.
        let plain = "😀".repeat(100);
        let cut = sanitize_file_name(&plain);
        assert_eq!(cut, "😀".repeat(63));
        let long_ext = format!("x.{}", "e".repeat(400));
        assert_eq!(sanitize_file_name(&long_ext).len(), MAX_FILE_NAME_BYTES);
    }
}
