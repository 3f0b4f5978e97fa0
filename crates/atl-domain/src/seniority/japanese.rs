//! Japanese corporate titles (役職). Japanese writes no spaces, so a title is matched by
//! the rank it contains, most senior first: 副社長 contains 社長 (both C-level), 本部長
//! contains 部長 (so 本部長 is tried first), 担当課長 contains 課長 and 担当.
//!
//! The ladder: 会長, 社長, 副社長, 専務, 常務 and 取締役 are board-level executives
//! (c_suite); 執行役員 and 本部長 head divisions below the board (vp); 部長, 次長, 室長,
//! 局長, 支店長 and 工場長 run a department, branch or plant (director); 課長 and 係長 run
//! a section or team (manager); 主任 is a senior individual contributor; 担当 is "in
//! charge of" a task (entry).

use super::Seniority::{self, *};

/// Not an operating role: an outside director, a statutory auditor, an honorary post
/// held after retiring as president (相談役, 顧問).
const NOT_OPERATING: [&str; 5] = ["社外取締役", "社外監査役", "監査役", "相談役", "顧問"];

const TABLE: [(&[&str], Seniority); 9] = [
    (&["創業", "創設者", "ファウンダー"], Founder),
    (&["オーナー", "店主"], Owner),
    (
        &[
            "代表",
            "社長",
            "会長",
            "専務",
            "常務",
            "取締役",
            "頭取",
            "理事長",
            "最高経営責任者",
        ],
        CSuite,
    ),
    (&["執行役", "本部長"], Vp),
    (
        &[
            "部長",
            "次長",
            "室長",
            "局長",
            "支店長",
            "支社長",
            "工場長",
            "所長",
        ],
        Director,
    ),
    (
        &[
            "課長",
            "係長",
            "マネージャー",
            "マネジャー",
            "リーダー",
            "班長",
            "職長",
        ],
        Manager,
    ),
    (&["主任", "主査", "シニア"], Senior),
    (&["インターン", "研修生", "実習生"], Intern),
    (&["担当", "社員", "職員", "スタッフ"], Entry),
];

/// The level of one run of Japanese text, or `None` for a board seat or a past role
/// (元社長, 前社長: former president).
pub(super) fn classify(run: &str) -> Option<Seniority> {
    if NOT_OPERATING.iter().any(|t| run.contains(t)) {
        return None;
    }
    if (run.starts_with('元') || run.starts_with('前')) && run.chars().count() > 1 {
        return None;
    }
    TABLE
        .iter()
        .find(|(words, _)| words.iter().any(|t| run.contains(t)))
        .map(|(_, level)| *level)
        .or(Some(Entry))
}
