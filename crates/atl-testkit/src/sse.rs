//! Server-sent events as a test reads them: frames end at a blank line, fields are
//! named at the start of their line.

/// One frame's `id:`, `event:` and `data:` fields; each data line as it came after
/// `data:`, so a suite joins them the way its assertions read them.
#[derive(Debug, Default, PartialEq)]
pub struct SseFrame {
    pub id: Option<i64>,
    pub event: String,
    pub data: Vec<String>,
}

impl SseFrame {
    /// No field at all: a keep-alive comment.
    pub fn is_keep_alive(&self) -> bool {
        self.id.is_none() && self.event.is_empty() && self.data.is_empty()
    }
}

/// Takes every whole frame off the front of `buf`, leaving a frame still arriving.
pub fn drain_frames(buf: &mut String) -> Vec<SseFrame> {
    let mut frames = Vec::new();
    while let Some(end) = buf.find("\n\n") {
        let text: String = buf.drain(..end + 2).collect();
        let mut frame = SseFrame::default();
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("id:") {
                frame.id = v.trim().parse().ok();
            } else if let Some(v) = line.strip_prefix("event:") {
                frame.event = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("data:") {
                frame.data.push(v.to_string());
            }
        }
        frames.push(frame);
    }
    frames
}

/// An event stream's response read as frames, each read failing the test once `timeout`
/// (from the start) has passed or when the stream ends.
#[cfg(feature = "app")]
pub struct FrameReader {
    response: reqwest::Response,
    buf: String,
    deadline: tokio::time::Instant,
}

#[cfg(feature = "app")]
impl FrameReader {
    pub fn new(response: reqwest::Response, timeout: std::time::Duration) -> FrameReader {
        FrameReader {
            response,
            buf: String::new(),
            deadline: tokio::time::Instant::now() + timeout,
        }
    }

    /// The frames completed by the next chunk of the body (none when it ends mid-frame).
    pub async fn next_frames(&mut self) -> Vec<SseFrame> {
        let chunk = tokio::time::timeout_at(self.deadline, self.response.chunk())
            .await
            .expect("SSE frames in time")
            .unwrap()
            .expect("stream open");
        self.buf.push_str(&String::from_utf8_lossy(&chunk));
        drain_frames(&mut self.buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_frames_are_taken_and_a_partial_one_is_left() {
        let mut buf = String::from(
            ": keep-alive\n\nid: 7\nevent: target_completed\ndata: {\"a\":\ndata: 1}\n\nid: 8\nev",
        );
        let frames = drain_frames(&mut buf);
        assert_eq!(frames.len(), 2);
        assert!(frames[0].is_keep_alive());
        assert_eq!(frames[1].id, Some(7));
        assert_eq!(frames[1].event, "target_completed");
        assert_eq!(frames[1].data, [" {\"a\":", " 1}"]);
        assert_eq!(buf, "id: 8\nev");
    }
}
