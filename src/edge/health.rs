//! The key's health, as pure decisions. PalPluss bans the API key, not a phone: "If your API key
//! initiates too many STK Pushes with a low success rate in a short window, further requests return
//! 429 STK_TEMP_BANNED. The ban lasts 1 hour." For that hour no customer of the shop can pay by
//! M-Pesa prompt, and every push sent into the ban can only make it worse.
//!
//! [`KeyHealth`] lives in the `Budget` object (one per key, the serial point of every push):
//! - the breaker: after a 429 `STK_TEMP_BANNED` ([`KeyHealth::ban`]) no push is admitted until the
//!   ban ends;
//! - the window: the outcomes of recent pushes (confirmed finals and PalPluss's refusals, the
//!   [`HealthSettings::window`] newest within [`HealthSettings::window_ms`]); below the success
//!   threshold the key is `at_risk`, and then ([`KeyHealth::admit`]) a known payer goes through, a
//!   phone whose last push failed this hour does not, and any other push only if, counted as a
//!   failure with every push still pending, it keeps the share at or above the threshold;
//! - what the merchant is told: [`KeyHealth::transition`] says when the state changed since the
//!   merchant last heard, once per change.
//!
//! PalPluss does not publish its thresholds: this keeps the share the Worker can see above a line
//! the merchant chooses, and puts paying customers first. It cannot promise that no ban comes.
//!
//! ```
//! use palpluss_stk::edge::health::{HealthSettings, KeyHealth, KeyState, Payer, Refused};
//!
//! let s = HealthSettings { min_outcomes: 2, ..HealthSettings::default() };
//! let mut key = KeyHealth::default();
//! let first = key.admit(0, Payer::default(), &s).unwrap();
//! let second = key.admit(0, Payer::default(), &s).unwrap();
//! key.outcome(Some(first), false, 1_000, &s);
//! key.outcome(Some(second), false, 2_000, &s);
//! assert_eq!(key.state(2_000, &s), KeyState::AtRisk);
//! assert!(matches!(key.admit(3_000, Payer::default(), &s), Err(Refused::Busy { .. })));
//! assert!(key.admit(3_000, Payer { paid_at: Some(0), failed_at: None }, &s).is_ok(), "a known payer");
//!
//! key.ban(3_600_000);
//! assert_eq!(key.admit(4_000, Payer::default(), &s), Err(Refused::Banned { until: 3_600_000 }));
//! ```

#[allow(unused_imports)]
use crate::prelude::*;

use serde_json::{json, Value};

use super::events::{EventType, MerchantEvent};

/// An hour in milliseconds.
pub const HOUR_MS: u64 = 3_600_000;
/// A push with no outcome after this long stops counting as pending (polling ends at 5 minutes).
pub const PENDING_FOR_MS: u64 = 10 * 60_000;
/// A ban with no stated length lasts this long (PalPluss's page: one hour).
pub const DEFAULT_BAN_MS: u64 = HOUR_MS;

/// The thresholds (`HEALTH_*` variables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HealthSettings {
    /// `HEALTH_WINDOW`: how many of the most recent outcomes count (default 20).
    pub window: usize,
    /// `HEALTH_WINDOW_MINUTES`, in ms: outcomes older than this do not count (default 30 min).
    pub window_ms: u64,
    /// `HEALTH_MIN_OUTCOMES`: fewer outcomes than this say nothing (default 10).
    pub min_outcomes: usize,
    /// `HEALTH_MIN_SUCCESS_RATE`, in thousandths: the line below which the key is at risk
    /// (default 300, i.e. 0.3; 0 switches the window off, the breaker stays).
    pub min_success_permille: u32,
    /// `HEALTH_KNOWN_PAYER_DAYS`, in ms: a phone that paid within this is a known payer (30 days).
    pub known_payer_ms: u64,
}

impl Default for HealthSettings {
    fn default() -> Self {
        HealthSettings {
            window: 20,
            window_ms: 30 * 60_000,
            min_outcomes: 10,
            min_success_permille: 300,
            known_payer_ms: 30 * 86_400_000,
        }
    }
}

/// The key's state, as `GET /health` and the `key.*` events say it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// Pushes go as usual.
    Ok,
    /// The success share is below the threshold: known payers first, others only within it.
    AtRisk,
    /// PalPluss banned the key: no push until then (unix ms).
    Banned {
        /// When the ban ends (unix ms).
        until: u64,
    },
}

impl KeyState {
    /// `"ok"`, `"at_risk"` or `"banned"`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Ok => "ok",
            KeyState::AtRisk => "at_risk",
            KeyState::Banned { .. } => "banned",
        }
    }
}

/// What the phone's object knows of the payer (its last SUCCESS, its last push that ended
/// CANCELLED, FAILED or EXPIRED), unix ms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Payer {
    /// When this phone last paid through this Worker.
    pub paid_at: Option<u64>,
    /// When this phone's last push ended without paying.
    pub failed_at: Option<u64>,
}

/// Why a push was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// 429 `STK_TEMP_BANNED`: the key is banned until then (unix ms).
    Banned {
        /// When the ban ends (unix ms).
        until: u64,
    },
    /// 429 `BUSY`: at risk, and this push could take the share below the threshold.
    Busy {
        /// Seconds until the window may have room (at least 1).
        retry_after_s: u64,
    },
    /// 429 `PHONE_LIMIT`: at risk, and this phone's last push this hour did not pay.
    PhoneFailed {
        /// Seconds until that hour is over (at least 1).
        retry_after_s: u64,
    },
}

/// The key's recent history, as the `Budget` object stores it ([`KeyHealth::to_text`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyHealth {
    /// Outcomes as (unix ms, paid), oldest first: at most the window's size.
    outcomes: Vec<(u64, bool)>,
    /// Pushes admitted and sent with no outcome yet, by their slot (unix ms, distinct).
    pending: Vec<u64>,
    /// The ban's end (unix ms); 0: none was seen.
    banned_until: u64,
    /// The state the merchant was last told (`None`: `ok`, nothing was ever said).
    announced: Option<KeyState>,
}

impl KeyHealth {
    /// The stored form, plain text (no derived JSON reader in the upload for it): the ban's end,
    /// what the merchant was last told, the outcomes (`{ms}:{1|0}`), the pending slots.
    ///
    /// ```
    /// use palpluss_stk::edge::health::{HealthSettings, KeyHealth, Payer};
    ///
    /// let s = HealthSettings::default();
    /// let mut key = KeyHealth::default();
    /// assert_eq!(key.to_text(), "0 - - -");
    /// let slot = key.admit(5, Payer::default(), &s).unwrap();
    /// key.outcome(Some(slot), true, 9, &s);
    /// key.admit(10, Payer::default(), &s).unwrap();
    /// key.ban(99);
    /// key.transition(10, &s);
    /// assert_eq!(key.to_text(), "99 banned:99 9:1 10");
    /// assert_eq!(KeyHealth::from_text(&key.to_text()), Some(key));
    /// assert_eq!(KeyHealth::from_text("{}"), None);
    /// ```
    pub fn to_text(&self) -> String {
        let list = |items: Vec<String>| if items.is_empty() { "-".to_owned() } else { items.join(",") };
        let announced = match self.announced {
            None => "-".to_owned(),
            Some(KeyState::Banned { until }) => ["banned:", &until.to_string()].concat(),
            Some(state) => state.as_str().to_owned(),
        };
        let outcomes = self
            .outcomes
            .iter()
            .map(|(at, paid)| [at.to_string(), (if *paid { ":1" } else { ":0" }).to_owned()].concat());
        [
            self.banned_until.to_string(),
            announced,
            list(outcomes.collect()),
            list(self.pending.iter().map(u64::to_string).collect()),
        ]
        .join(" ")
    }

    /// Reads [`KeyHealth::to_text`]; `None` for anything else.
    pub fn from_text(text: &str) -> Option<KeyHealth> {
        let mut parts = text.split(' ');
        let banned_until = parts.next()?.parse().ok()?;
        let announced = match parts.next()? {
            "-" => None,
            "ok" => Some(KeyState::Ok),
            "at_risk" => Some(KeyState::AtRisk),
            other => Some(KeyState::Banned { until: other.strip_prefix("banned:")?.parse().ok()? }),
        };
        let items = |part: &str| -> Vec<String> {
            match part {
                "-" => Vec::new(),
                list => list.split(',').map(str::to_owned).collect(),
            }
        };
        let outcomes = items(parts.next()?)
            .iter()
            .map(|item| {
                let (at, paid) = item.split_once(':')?;
                Some((
                    at.parse().ok()?,
                    match paid {
                        "1" => true,
                        "0" => false,
                        _ => return None,
                    },
                ))
            })
            .collect::<Option<Vec<(u64, bool)>>>()?;
        let pending = items(parts.next()?).iter().map(|slot| slot.parse().ok()).collect::<Option<Vec<u64>>>()?;
        if parts.next().is_some() {
            return None;
        }
        Some(KeyHealth { outcomes, pending, banned_until, announced })
    }

    /// The outcomes that count now: the newest `window`, within `window_ms`. (successes, total)
    pub fn share(&self, now: u64, s: &HealthSettings) -> (usize, usize) {
        let counted = self.outcomes.iter().rev().take(s.window).filter(|(at, _)| at.saturating_add(s.window_ms) > now);
        counted.fold((0, 0), |(paid, all), &(_, ok)| (paid + usize::from(ok), all + 1))
    }

    /// Whether `paid` of `total` is at or above the threshold.
    fn healthy(paid: usize, total: usize, s: &HealthSettings) -> bool {
        (paid as u64) * 1000 >= u64::from(s.min_success_permille) * (total as u64)
    }

    /// The state at `now`. Never `ok` while a ban runs.
    pub fn state(&self, now: u64, s: &HealthSettings) -> KeyState {
        if self.banned_until > now {
            return KeyState::Banned { until: self.banned_until };
        }
        let (paid, total) = self.share(now, s);
        if total >= s.min_outcomes.max(1) && !KeyHealth::healthy(paid, total, s) {
            KeyState::AtRisk
        } else {
            KeyState::Ok
        }
    }

    /// Pushes admitted and still waiting for an outcome at `now`.
    pub fn pending(&self, now: u64) -> usize {
        self.pending.iter().filter(|&&at| at.saturating_add(PENDING_FOR_MS) > now).count()
    }

    /// Admits one push (returning its slot, which names it for [`KeyHealth::outcome`] and
    /// [`KeyHealth::release`]) or says why not.
    pub fn admit(&mut self, now: u64, payer: Payer, s: &HealthSettings) -> Result<u64, Refused> {
        self.pending.retain(|&at| at.saturating_add(PENDING_FOR_MS) > now);
        let state = self.state(now, s);
        if let KeyState::Banned { until } = state {
            return Err(Refused::Banned { until });
        }
        if state == KeyState::AtRisk {
            let failed = payer.failed_at.filter(|&f| payer.paid_at.is_none_or(|p| f > p));
            if let Some(failed_at) = failed.filter(|&f| f.saturating_add(HOUR_MS) > now) {
                return Err(Refused::PhoneFailed { retry_after_s: seconds_until(failed_at + HOUR_MS, now) });
            }
        }
        // A stranger's push, counted as a failure with every push still pending, must keep the
        // share at or above the line: while at risk that is never, and once enough is known it
        // also bounds what is in flight while the key is still ok (outcomes arrive seconds or
        // minutes after a push, and a burst sent meanwhile would land in the window all at once).
        let known = payer.paid_at.is_some_and(|p| p.saturating_add(s.known_payer_ms) > now);
        let (paid, total) = self.share(now, s);
        let judged = total >= s.min_outcomes.max(1);
        if !known && judged && !KeyHealth::healthy(paid, total + self.pending.len() + 1, s) {
            return Err(Refused::Busy { retry_after_s: self.room_in(now, s) });
        }
        let slot = self.pending.iter().copied().max().map_or(now, |last| now.max(last.saturating_add(1)));
        self.pending.push(slot);
        Ok(slot)
    }

    /// Whether this push goes first in the upstream budget: a known payer's always; any other while
    /// the key is far from its line (too little known to judge it, or a share, with the pending
    /// pushes counted as failures, of at least twice the line). Otherwise it is a
    /// [`crate::edge::budget::CallKind::NewPush`], which leaves half the budget to known payers
    /// and status checks: under an attack, paying customers still find room.
    pub fn first_in_line(&self, now: u64, payer: Payer, s: &HealthSettings) -> bool {
        let known = payer.paid_at.is_some_and(|p| p.saturating_add(s.known_payer_ms) > now);
        let (paid, total) = self.share(now, s);
        let far = HealthSettings { min_success_permille: s.min_success_permille.saturating_mul(2).min(1000), ..*s };
        known || total < s.min_outcomes.max(1) || KeyHealth::healthy(paid, total + self.pending(now), &far)
    }

    /// Seconds until the oldest counted failure leaves the window (when the share can rise
    /// without a new success); at least 1.
    fn room_in(&self, now: u64, s: &HealthSettings) -> u64 {
        let oldest_failure = self
            .outcomes
            .iter()
            .rev()
            .take(s.window)
            .filter(|(at, ok)| !ok && at.saturating_add(s.window_ms) > now)
            .map(|(at, _)| *at)
            .min();
        seconds_until(oldest_failure.map_or(now, |at| at.saturating_add(s.window_ms)), now)
    }

    /// A push's outcome: paid (a confirmed SUCCESS) or not (a confirmed CANCELLED, FAILED or
    /// EXPIRED, or PalPluss refused it). `slot` is what [`KeyHealth::admit`] gave, when known.
    pub fn outcome(&mut self, slot: Option<u64>, paid: bool, now: u64, s: &HealthSettings) {
        if let Some(slot) = slot {
            self.release(slot);
        }
        self.outcomes.push((now, paid));
        let keep = s.window.max(1);
        if self.outcomes.len() > keep {
            let excess = self.outcomes.len() - keep;
            self.outcomes.drain(..excess);
        }
    }

    /// A push admitted but not sent, or with no outcome to count (PalPluss's own failure).
    pub fn release(&mut self, slot: u64) {
        self.pending.retain(|&at| at != slot);
    }

    /// PalPluss answered 429 `STK_TEMP_BANNED`: the ban runs until then (unix ms).
    pub fn ban(&mut self, until: u64) {
        self.banned_until = self.banned_until.max(until);
    }

    /// The state now, when it differs from what the merchant was last told (and records that it
    /// is told now): once per change. A ban that PalPluss extends is a new `banned`.
    pub fn transition(&mut self, now: u64, s: &HealthSettings) -> Option<KeyState> {
        let state = self.state(now, s);
        let told = self.announced.unwrap_or(KeyState::Ok);
        if state == told {
            return None;
        }
        self.announced = Some(state);
        Some(state)
    }

    /// When the state can change with no new event (a ban ends, a failure leaves the window);
    /// the object wakes up then to tell the merchant.
    pub fn next_change(&self, now: u64, s: &HealthSettings) -> Option<u64> {
        match self.state(now, s) {
            KeyState::Banned { until } => Some(until),
            KeyState::AtRisk => Some(now.saturating_add(self.room_in(now, s) * 1000)),
            KeyState::Ok => None,
        }
    }

    /// `{ state, until?, successRate, outcomes }` for `GET /health` and the `key.*` events
    /// (`successRate` null when no outcome counts).
    pub fn view(&self, now: u64, s: &HealthSettings) -> Value {
        let state = self.state(now, s);
        let (paid, total) = self.share(now, s);
        // Thousandths rounded half up, in integers (core has no f64::round without std).
        let rate = (total > 0).then(|| ((paid * 1000 + total / 2) / total) as f64 / 1000.0);
        let mut view = json!({ "state": state.as_str(), "successRate": rate, "outcomes": total });
        if let (KeyState::Banned { until }, Some(object)) = (state, view.as_object_mut()) {
            object.insert("until".into(), json!(super::encoding::iso8601(until)));
        }
        view
    }
}

fn seconds_until(at: u64, now: u64) -> u64 {
    at.saturating_sub(now).div_ceil(1000).max(1)
}

/// The ban's end from PalPluss's 429 `STK_TEMP_BANNED`: `details.retryAfterSeconds`, else a
/// numeric `Retry-After`, else an hour.
///
/// ```
/// use palpluss_stk::edge::health::ban_until;
///
/// let body = br#"{"success":false,"error":{"code":"STK_TEMP_BANNED","message":"m","details":{"retryAfterSeconds":120}},"requestId":"r"}"#;
/// assert_eq!(ban_until(body, Some("30"), 1_000), 121_000);
/// assert_eq!(ban_until(b"{}", Some("30"), 1_000), 31_000);
/// assert_eq!(ban_until(b"{}", None, 1_000), 3_601_000);
/// ```
pub fn ban_until(body: &[u8], retry_after: Option<&str>, now: u64) -> u64 {
    let from_body = serde_json::from_slice::<crate::palpluss::Envelope<Value>>(body)
        .ok()
        .and_then(|envelope| envelope.into_result().err())
        .and_then(|error| error.retry_after_seconds());
    let from_header = retry_after.and_then(|v| v.trim().parse::<u64>().ok());
    let seconds = from_body.or(from_header).map(|s| s.min(24 * 3600));
    now.saturating_add(seconds.map_or(DEFAULT_BAN_MS, |s| s * 1000))
}

/// Whether PalPluss's refusal of a push counts as a failed push in the window: a 4xx about the
/// push itself (not the key's credentials, not a rate limit or the ban, which the breaker handles;
/// a 5xx is PalPluss's own failure and says nothing about the customers).
///
/// ```
/// use palpluss_stk::edge::health::refusal_counts;
///
/// assert!(refusal_counts(400) && refusal_counts(422));
/// assert!(!refusal_counts(401) && !refusal_counts(429) && !refusal_counts(500) && !refusal_counts(200));
/// ```
pub fn refusal_counts(status: u16) -> bool {
    (400..500).contains(&status) && !matches!(status, 401 | 403 | 404 | 408 | 429)
}

/// Whether PalPluss's answer to a push is the key's ban (429 `STK_TEMP_BANNED`).
pub fn is_ban(status: u16, body: &[u8]) -> bool {
    status == 429
        && serde_json::from_slice::<crate::palpluss::Envelope<serde::de::IgnoredAny>>(body)
            .ok()
            .and_then(|envelope| envelope.into_result().err())
            .is_some_and(|error| error.code == super::codes::STK_TEMP_BANNED)
}

/// The event that tells the merchant the key's state changed (`key.restored`, `key.at_risk` or
/// `key.banned`), with `data.key` = [`KeyHealth::view`]. Its id follows from the change's time.
pub fn key_event(state: KeyState, view: Value, now: u64) -> MerchantEvent {
    let kind = match state {
        KeyState::Ok => EventType::KeyRestored,
        KeyState::AtRisk => EventType::KeyAtRisk,
        KeyState::Banned { .. } => EventType::KeyBanned,
    };
    MerchantEvent::with_id_from(&["key/", &now.to_string()].concat(), kind, now, json!({ "key": view }))
}
