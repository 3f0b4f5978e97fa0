//! Delimiter sniffing. Excel writes `;` in locales where `,` is the decimal mark, CRMs
//! export tabs or pipes, and nobody tells us which: count each candidate outside quotes on
//! the first lines and keep the one whose count is consistently the same and non-zero.

/// Candidates in order of preference when the evidence is tied.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
/// Logical lines (quoted newlines don't end one) looked at.
const SAMPLE_LINES: usize = 30;
/// Bytes looked at, so a file of one huge line costs nothing extra.
const SAMPLE_BYTES: usize = 64 * 1024;

/// Returns the most plausible delimiter; `,` when nothing is conclusive (a one-column file).
pub(crate) fn sniff_delimiter(text: &str) -> u8 {
    let counts = count_per_line(text);
    let mut best = (b',', 0usize, 0usize);
    for (i, &delimiter) in CANDIDATES.iter().enumerate() {
        let (mode, frequency) = mode_of(counts.iter().map(|line| line[i]));
        // More lines agreeing wins; then more columns. Strictly better only, so ties keep
        // the earlier (more common) candidate.
        if mode > 0 && (frequency, mode) > (best.2, best.1) {
            best = (delimiter, mode, frequency);
        }
    }
    best.0
}

/// For each non-blank logical line of the sample, how often each candidate occurs outside
/// double quotes.
fn count_per_line(text: &str) -> Vec<[usize; CANDIDATES.len()]> {
    let bytes = text.as_bytes();
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    let mut lines = Vec::with_capacity(SAMPLE_LINES);
    let mut current = [0usize; CANDIDATES.len()];
    let mut blank = true;
    let mut in_quotes = false;
    for &b in sample {
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                blank = false;
            }
            b'\n' | b'\r' if !in_quotes => {
                if !blank {
                    lines.push(current);
                    if lines.len() == SAMPLE_LINES {
                        return lines;
                    }
                }
                current = [0; CANDIDATES.len()];
                blank = true;
            }
            _ => {
                if !in_quotes && let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                    current[i] += 1;
                }
                if !b.is_ascii_whitespace() {
                    blank = false;
                }
            }
        }
    }
    if !blank {
        lines.push(current);
    }
    lines
}

/// The most frequent non-zero value and how often it occurs; `(0, 0)` when all are zero.
fn mode_of(values: impl Iterator<Item = usize>) -> (usize, usize) {
    let mut tally: Vec<(usize, usize)> = Vec::new();
    for v in values.filter(|&v| v > 0) {
        match tally.iter_mut().find(|(value, _)| *value == v) {
            Some((_, n)) => *n += 1,
            None => tally.push((v, 1)),
        }
    }
    tally
        .into_iter()
        .max_by_key(|&(value, n)| (n, value))
        .unwrap_or((0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_consistent_candidate() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3\n4;5,5;6\n"), b';');
        assert_eq!(sniff_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter("a|b|c\r\n1|2|3\r\n"), b'|');
    }

    #[test]
    fn ignores_delimiters_inside_quotes_and_preambles() {
        let text = "Notes:\n\"a, b, c, d, e\"\n\nx;y\n1;\"2;3\"\n4;5\n";
        assert_eq!(sniff_delimiter(text), b';');
        let multiline = "a|b\n\"x,\ny,\nz,\"|2\n3|4\n";
        assert_eq!(sniff_delimiter(multiline), b'|');
    }

    #[test]
    fn single_column_defaults_to_comma() {
        assert_eq!(sniff_delimiter("company\nAcme\n"), b',');
    }
}
