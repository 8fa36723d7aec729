//! The growing wait after wrong passwords, per address and per user name, so that
//! guessing gets at most a handful of tries a minute and fewer after that.
//!
//! The first wrong passwords cost nothing (people mistype); the [`FREE_TRIES`]-th in a
//! row and each one after it lock the address and the name for twice as long as the
//! last, from
//! [`FIRST_WAIT`] up to [`LONGEST_WAIT`]. While locked, a sign-in is refused before its
//! password is even checked (answer 429 with `Retry-After`), so a correct guess inside
//! the lock cannot be told apart from a wrong one. A right password clears both counts.
//! Locking by name lets a stranger keep a user out of the login page for up to
//! [`LONGEST_WAIT`] at a time; API tokens are not affected.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const FREE_TRIES: u32 = 3;
pub const FIRST_WAIT: Duration = Duration::from_secs(5);
pub const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// A count is forgotten this long after its last wrong password.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Most addresses and names remembered: beyond it the oldest are forgotten first, so a
/// flood of made-up names cannot grow the server's memory.
const MOST_REMEMBERED: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Instant,
}

#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    /// How long the sign-in of `keys` (an address and a name) must still wait; None
    /// when it may be checked now.
    pub fn wait(&self, keys: &[String], now: Instant) -> Option<Duration> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter()
            .filter_map(|key| failures.get(key))
            .filter(|f| f.locked_until > now)
            .map(|f| f.locked_until - now)
            .max()
    }

    pub fn failed(&self, keys: &[String], now: Instant) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MOST_REMEMBERED {
            forget_oldest(&mut failures, now);
        }
        for key in keys {
            let entry = failures.entry(key.clone()).or_insert(Failures {
                count: 0,
                last: now,
                locked_until: now,
            });
            if now.duration_since(entry.last) > FORGET_AFTER {
                entry.count = 0;
            }
            entry.count += 1;
            entry.last = now;
            entry.locked_until = now + wait_after(entry.count);
        }
    }

    pub fn succeeded(&self, keys: &[String]) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for key in keys {
            failures.remove(key);
        }
    }
}

/// The lock after the `count`-th wrong password in a row.
fn wait_after(count: u32) -> Duration {
    if count < FREE_TRIES {
        return Duration::ZERO;
    }
    let doublings = (count - FREE_TRIES).min(16);
    (FIRST_WAIT * 2u32.pow(doublings)).min(LONGEST_WAIT)
}

fn forget_oldest(failures: &mut HashMap<String, Failures>, now: Instant) {
    failures.retain(|_, f| now.duration_since(f.last) <= FORGET_AFTER);
    if failures.len() >= MOST_REMEMBERED {
        let mut lasts: Vec<Instant> = failures.values().map(|f| f.last).collect();
        let middle = lasts.len() / 2;
        let (_, cut, _) = lasts.select_nth_unstable(middle);
        let cut = *cut;
        failures.retain(|_, f| f.last > cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An attacker who tries again the moment each lock ends.
    fn tries_within(window: Duration) -> usize {
        let throttle = Throttle::default();
        let keys = vec!["address 192.0.2.1".to_string(), "user ana".to_string()];
        let start = Instant::now();
        let mut now = start;
        let mut tries = 0;
        while now.duration_since(start) < window {
            match throttle.wait(&keys, now) {
                Some(wait) => now += wait,
                None => {
                    tries += 1;
                    throttle.failed(&keys, now);
                }
            }
        }
        tries
    }

    #[test]
    fn guessing_gets_a_handful_of_tries_a_minute_and_fewer_each_hour() {
        assert_eq!(tries_within(Duration::from_secs(60)), 6);
        // Tries at 0, 0, 0 s, then locks of 5, 10, 20, 40 ... s, capped at 15 minutes.
        let hour = tries_within(Duration::from_secs(3600));
        assert_eq!(hour, 13, "tries in an hour");
    }

    #[test]
    fn a_lock_on_the_name_holds_from_any_address_and_a_right_password_clears_it() {
        let throttle = Throttle::default();
        let now = Instant::now();
        let first = vec!["address 192.0.2.1".to_string(), "user ana".to_string()];
        for _ in 0..FREE_TRIES {
            throttle.failed(&first, now);
        }
        let other_address = vec!["address 198.51.100.7".to_string(), "user ana".to_string()];
        assert_eq!(throttle.wait(&other_address, now), Some(FIRST_WAIT));
        let other_user = vec!["address 198.51.100.7".to_string(), "user bob".to_string()];
        assert_eq!(throttle.wait(&other_user, now), None);
        throttle.succeeded(&first);
        assert_eq!(throttle.wait(&other_address, now), None);
    }

    #[test]
    fn made_up_names_cannot_grow_memory_without_bound() {
        let throttle = Throttle::default();
        let now = Instant::now();
        for i in 0..(MOST_REMEMBERED + 10) {
            throttle.failed(
                &[format!("user {i}")],
                now + Duration::from_millis(i as u64),
            );
        }
        let kept = throttle.failures.lock().unwrap().len();
        assert!(kept <= MOST_REMEMBERED, "{kept}");
    }
}
