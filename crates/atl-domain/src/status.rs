//! Status enums. Their string forms are what the database stores and the API prints, so
//! they are spelled out by hand rather than derived from the Rust names.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown {kind} `{value}`")]
pub struct ParseStatusError {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and printed form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseStatusError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ParseStatusError { kind: $kind, value: s.to_string() }),
                }
            }
        }
    };
}

string_enum! {
    /// Lifecycle of a campaign (`atl_campaigns.status`): pending, processing, completed,
    /// failed, and the control states paused and cancelled. A campaign with nothing left to run
    /// is `completed` (some targets may be partial: its counts say so), or `failed` when
    /// no target produced anything.
    CampaignStatus, "campaign status" {
        Pending => "pending",
        Processing => "processing",
        Paused => "paused",
        Completed => "completed",
        Failed => "failed",
        Cancelled => "cancelled",
    }
}

string_enum! {
    /// Lifecycle of a target (`atl_targets.enrichment_status`). `completed` means every
    /// sub-agent produced its result; `partial` that at least one did and the others failed
    /// or were skipped (the target's `failed_sub_agents` says which and why); `failed` that
    /// none did although one ran; `cancelled` that none ran (all skipped).
    TargetStatus, "target status" {
        Pending => "pending",
        Processing => "processing",
        Completed => "completed",
        Partial => "partial",
        Failed => "failed",
        Cancelled => "cancelled",
    }
}

string_enum! {
    /// Lifecycle of one (target × sub-agent) job in the ledger (`sub_agent_executions`).
    /// `skipped` is a job the coordinator chose not to run (budget reached, campaign
    /// cancelled); its `last_error` says why.
    JobStatus, "job status" {
        Pending => "pending",
        Running => "running",
        Completed => "completed",
        Failed => "failed",
        Skipped => "skipped",
    }
}

string_enum! {
    /// The four sub-agents each target runs: research, intel, enrichment, voice.
    SubAgentKind, "sub-agent" {
        Research => "research",
        Intel => "intel",
        Enrichment => "enrichment",
        Voice => "voice",
    }
}

impl JobStatus {
    /// A job in a final state is never claimed again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Skipped
        )
    }
}

impl TargetStatus {
    /// A target in a final state has no open job left (until a retry reopens it).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TargetStatus::Completed
                | TargetStatus::Partial
                | TargetStatus::Failed
                | TargetStatus::Cancelled
        )
    }
}

impl CampaignStatus {
    /// A campaign in a final state takes no more work unless explicitly retried.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CampaignStatus::Completed | CampaignStatus::Failed | CampaignStatus::Cancelled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_string() {
        for s in CampaignStatus::ALL {
            assert_eq!(s.as_str().parse::<CampaignStatus>(), Ok(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in TargetStatus::ALL {
            assert_eq!(s.as_str().parse::<TargetStatus>(), Ok(*s));
        }
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>(), Ok(*s));
        }
        for s in SubAgentKind::ALL {
            assert_eq!(s.as_str().parse::<SubAgentKind>(), Ok(*s));
        }
    }

    #[test]
    fn unknown_status_is_an_error_naming_the_value() {
        let err = "done".parse::<CampaignStatus>().unwrap_err();
        assert_eq!(err.to_string(), "unknown campaign status `done`");
    }
}
