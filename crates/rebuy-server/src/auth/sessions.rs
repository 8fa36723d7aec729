//! Signed-in browser sessions, kept in the server's memory only: a restart signs
//! everyone out. The cookie holds 256 random bits and nothing else.

use super::users::{Role, User, random_hex};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A session unused this long ends.
pub const IDLE_LIMIT: Duration = Duration::from_secs(2 * 60 * 60);
/// A session ends this long after sign-in, used or not.
pub const LONGEST_SESSION: Duration = Duration::from_secs(12 * 60 * 60);
/// Most sessions kept; beyond it the least recently used ends first (bounded memory).
const MOST_SESSIONS: usize = 10_000;

/// Who a request comes from, once signed in (a request extension for the handlers).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub user: String,
    pub role: Role,
}

#[derive(Debug, Clone)]
struct Session {
    user: String,
    /// The password hash at sign-in: a changed password (or a removed user) ends the
    /// session at its next request.
    password: String,
    started: Instant,
    seen: Instant,
}

#[derive(Debug, Default)]
pub struct Sessions {
    sessions: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Starts a session for `user`; returns its id, the cookie's value.
    pub fn start(&self, user: &User, now: Instant) -> String {
        let id = random_hex(32);
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if sessions.len() >= MOST_SESSIONS {
            sessions.retain(|_, s| alive(s, now));
            if sessions.len() >= MOST_SESSIONS
                && let Some(oldest) = sessions
                    .iter()
                    .min_by_key(|(_, s)| s.seen)
                    .map(|(id, _)| id.clone())
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(
            id.clone(),
            Session {
                user: user.name.clone(),
                password: user.password.clone(),
                started: now,
                seen: now,
            },
        );
        id
    }

    /// The session `id`, if it is alive and its user still signs in the same way
    /// (`find_user` looks the name up in today's users file).
    pub fn find<'a>(
        &self,
        id: &str,
        now: Instant,
        find_user: impl Fn(&str) -> Option<&'a User>,
    ) -> Option<SignedIn> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let session = sessions.get_mut(id)?;
        let user = find_user(&session.user).filter(|u| u.password == session.password);
        match user {
            Some(user) if alive(session, now) => {
                session.seen = now;
                Some(SignedIn {
                    user: user.name.clone(),
                    role: user.role,
                })
            }
            _ => {
                sessions.remove(id);
                None
            }
        }
    }

    pub fn end(&self, id: &str) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.remove(id);
    }
}

fn alive(session: &Session, now: Instant) -> bool {
    now.duration_since(session.seen) < IDLE_LIMIT
        && now.duration_since(session.started) < LONGEST_SESSION
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::users::UsersFile;

    #[test]
    fn a_session_ends_when_idle_too_long_or_its_password_changes() {
        let mut users = UsersFile::new();
        users
            .add("ana", Role::Viewer, "long enough password")
            .unwrap();
        let sessions = Sessions::default();
        let start = Instant::now();
        let id = sessions.start(&users.users[0], start);
        assert_eq!(id.len(), 64);
        let found = sessions.find(&id, start + Duration::from_secs(60), |n| users.find(n));
        assert_eq!(found.map(|s| s.user), Some("ana".to_string()));
        assert!(sessions.find("0000", start, |n| users.find(n)).is_none());

        let later = start + Duration::from_secs(60) + IDLE_LIMIT;
        assert!(sessions.find(&id, later, |n| users.find(n)).is_none());

        let id = sessions.start(&users.users[0], start);
        let mut changed = users.clone();
        changed.remove("ana").unwrap();
        changed
            .add("ana", Role::Viewer, "a new long password")
            .unwrap();
        assert!(sessions.find(&id, start, |n| changed.find(n)).is_none());

        let id = sessions.start(&users.users[0], start);
        sessions.end(&id);
        assert!(sessions.find(&id, start, |n| users.find(n)).is_none());
    }

    #[test]
    fn no_session_outlives_its_longest_span_however_busy() {
        let mut users = UsersFile::new();
        users
            .add("ana", Role::Viewer, "long enough password")
            .unwrap();
        let sessions = Sessions::default();
        let start = Instant::now();
        let id = sessions.start(&users.users[0], start);
        let mut now = start;
        while now.duration_since(start) < LONGEST_SESSION - Duration::from_secs(3600) {
            now += Duration::from_secs(3600);
            assert!(sessions.find(&id, now, |n| users.find(n)).is_some());
        }
        assert!(
            sessions
                .find(&id, start + LONGEST_SESSION, |n| users.find(n))
                .is_none()
        );
    }
}
