//! The upstream budget: PalPluss allows 60 requests a minute per key, so the Worker never
//! exceeds `UPSTREAM_RATE_PER_MINUTE` calls with the key in any 60 s, and pushes come first.

#[allow(unused_imports)]
use crate::prelude::*;

use serde::{Deserialize, Serialize};

/// What a call with the key is for: pushes come first, known payers' first of all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// `POST /payments/stk`: may use the whole budget.
    Push,
    /// `GET /transactions/{id}`: leaves a quarter of the budget for pushes.
    StatusCheck,
    /// `POST /payments/stk` that the key's health does not put first (a phone not known to pay,
    /// while the key is near its line: [`crate::edge::health::KeyHealth::first_in_line`]): at
    /// most half the budget, so that status checks and known payers always find room.
    NewPush,
}

/// The sliding-window budget of upstream calls with the key.
///
/// Pushes may use the whole budget; status checks leave a quarter of it for pushes, so a storm of
/// confirmations never turns a customer away.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamBudget {
    /// When each call in the window was made (unix ms), oldest first.
    calls: Vec<u64>,
    /// PalPluss said no more calls until then (unix ms).
    blocked_until: u64,
}

/// The budget's window.
pub const BUDGET_WINDOW_MS: u64 = 60_000;

impl UpstreamBudget {
    /// The budget as its object stores it: `blocked_until`, then each call's time, space-separated
    /// (plain text, so the upload carries no JSON reader for it).
    ///
    /// ```
    /// use palpluss_stk::edge::budget::{CallKind, UpstreamBudget};
    ///
    /// let mut budget = UpstreamBudget::default();
    /// budget.take(CallKind::Push, 60, 5_000).unwrap();
    /// assert_eq!(budget.to_text(), "0 5000");
    /// assert_eq!(UpstreamBudget::from_text("0 5000"), Some(budget));
    /// assert_eq!(UpstreamBudget::from_text("{}"), None);
    /// ```
    pub fn to_text(&self) -> String {
        let mut text = self.blocked_until.to_string();
        for at in &self.calls {
            text.push(' ');
            text.push_str(&at.to_string());
        }
        text
    }

    /// Reads [`UpstreamBudget::to_text`]; `None` for anything else.
    pub fn from_text(text: &str) -> Option<UpstreamBudget> {
        let mut numbers = text.split(' ').map(|n| n.parse::<u64>().ok());
        let blocked_until = numbers.next()??;
        let calls = numbers.collect::<Option<Vec<u64>>>()?;
        Some(UpstreamBudget { calls, blocked_until })
    }

    /// Takes one call from the budget, or says how many milliseconds until one is free.
    ///
    /// ```
    /// use palpluss_stk::edge::budget::{CallKind, UpstreamBudget};
    ///
    /// let mut budget = UpstreamBudget::default();
    /// assert_eq!(budget.take(CallKind::Push, 2, 0), Ok(()));
    /// assert_eq!(budget.take(CallKind::Push, 2, 1_000), Ok(()));
    /// assert_eq!(budget.take(CallKind::Push, 2, 2_000), Err(58_000));
    /// assert_eq!(budget.take(CallKind::Push, 2, 60_000), Ok(()));
    /// ```
    pub fn take(&mut self, kind: CallKind, limit: u32, now: u64) -> Result<(), u64> {
        self.calls.retain(|&at| at.saturating_add(BUDGET_WINDOW_MS) > now);
        if self.blocked_until > now {
            return Err(self.blocked_until - now);
        }
        let limit = limit as usize;
        let allowed = match kind {
            CallKind::Push => limit,
            CallKind::StatusCheck => limit - limit.div_ceil(4),
            CallKind::NewPush => limit.div_ceil(2),
        };
        if self.calls.len() < allowed {
            self.calls.push(now);
            return Ok(());
        }
        // The call frees up when enough of the oldest calls leave the window.
        let index = self.calls.len() + 1 - allowed.max(1);
        let oldest = self.calls.get(index.saturating_sub(1)).copied().unwrap_or(now);
        Err(oldest.saturating_add(BUDGET_WINDOW_MS).saturating_sub(now).max(1))
    }

    /// Takes PalPluss's own view into account: `x-ratelimit-remaining: 0` with
    /// `x-ratelimit-reset` (seconds until the window resets, or a unix time), or a 429.
    pub fn observe(&mut self, remaining: Option<u64>, reset: Option<u64>, rate_limited: bool, now: u64) {
        if remaining == Some(0) || rate_limited {
            let wait_ms = match reset {
                // Small numbers are seconds from now; large ones a unix time in seconds.
                Some(reset) if reset > 1_000_000_000 => reset.saturating_mul(1000).saturating_sub(now),
                Some(reset) => reset.saturating_mul(1000),
                None => BUDGET_WINDOW_MS,
            };
            self.blocked_until = self.blocked_until.max(now.saturating_add(wait_ms.min(BUDGET_WINDOW_MS * 10)));
        }
    }

    /// Calls in the window now.
    pub fn in_window(&self, now: u64) -> usize {
        self.calls.iter().filter(|&&at| at.saturating_add(BUDGET_WINDOW_MS) > now).count()
    }
}
