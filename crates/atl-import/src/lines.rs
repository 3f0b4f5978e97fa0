//! Physical line numbers of records, counted in the original text.
//!
//! csv's `Position::line()` counts only `\n` (a bare-CR file is all "line 1") and its
//! record position points before the blank lines it skips, so we count ourselves: a
//! record starts at the first byte after its position that is not a line break, and every
//! `\r\n`, lone `\r` or lone `\n` before it is one line.

pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Byte offset up to which breaks have been counted.
    offset: usize,
    /// 1-based line number of `offset`.
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The line where the record whose csv position is `position` really starts.
    /// Positions must not go backwards (they don't: records are read in order).
    pub(crate) fn record_line(&mut self, position: u64) -> u64 {
        let len = self.bytes.len();
        let mut start = usize::try_from(position).unwrap_or(len).min(len);
        while start < len && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.offset {
            self.line += count_breaks(&self.bytes[self.offset..start]);
            self.offset = start;
        }
        self.line
    }
}

/// Line breaks in a chunk. Chunks passed here never split a `\r\n` pair because they end
/// just before a byte that is not a line break.
pub(crate) fn count_breaks(chunk: &[u8]) -> u64 {
    let mut n = 0u64;
    let mut previous_cr = false;
    for &b in chunk {
        match b {
            b'\n' if previous_cr => previous_cr = false,
            b'\n' => n += 1,
            b'\r' => {
                n += 1;
                previous_cr = true;
            }
            _ => previous_cr = false,
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lf_crlf_and_bare_cr_once_each() {
        assert_eq!(count_breaks(b"a\nb\r\nc\rd\n\n"), 5);
        let text = "h\r\n\r\nx\ry\n";
        let mut lines = LineCounter::new(text);
        assert_eq!(lines.record_line(0), 1);
        // csv reports the second record right after "h\r"; it starts at "x" on line 3.
        assert_eq!(lines.record_line(2), 3);
        assert_eq!(lines.record_line(7), 4);
        assert_eq!(lines.record_line(99), 5);
    }
}
