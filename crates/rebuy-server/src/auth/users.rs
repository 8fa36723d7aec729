//! The users file (`rebuy users`, `rebuy serve --users`): who may sign in, with which
//! role, an argon2id hash of each password and a SHA-256 hash of each API token. The
//! file never holds a password or a token, only what checks one.
//!
//! ```json
//! {"format_version": 1, "users": [{"name": "ana", "role": "viewer",
//!   "password": "$argon2id$v=19$m=19456,t=2,p=1$...", "created": "2026-12-02",
//!   "tokens": [{"id": "3f9a1c2e", "sha256": "...", "created": "2026-12-02"}]}]}
//! ```

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// The users file's layout; a file with another number is refused.
pub const USERS_FORMAT_VERSION: u32 = 1;
/// Shortest password `rebuy users add` accepts (NIST SP 800-63B asks for at least 8;
/// a dashboard of every customer's spend deserves more).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted: argon2 hashes any length, but a megabyte "password" is an
/// attack on the server's time, not a password.
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Every API token starts with this, so a leaked one is recognisable (secret scanners).
pub const TOKEN_PREFIX: &str = "rebuy_";

/// What a signed-in user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads pages and downloads exports.
    Viewer,
    /// A viewer who may also use actions that change state (none yet: future uploads
    /// that run the pipeline).
    Analyst,
}

impl Role {
    pub fn parse(text: &str) -> Result<Role, UsersError> {
        match text {
            "viewer" => Ok(Role::Viewer),
            "analyst" => Ok(Role::Analyst),
            other => Err(UsersError::Invalid(format!(
                "role {other:?}: expected viewer or analyst"
            ))),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`, so `{:<8}` lines up in `rebuy users list`.
        f.pad(match self {
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// The argon2id PHC string of the password.
    pub password: String,
    /// The day the user was added (UTC, `YYYY-MM-DD`).
    pub created: String,
    #[serde(default)]
    pub tokens: Vec<TokenRecord>,
}

/// An API token, as the file keeps it: its SHA-256 (tokens are 256 random bits, so a
/// fast hash is enough; no salt or stretching needed) and a short id to name it by.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRecord {
    pub id: String,
    pub sha256: String,
    pub created: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersFile {
    pub format_version: u32,
    pub users: Vec<User>,
}

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error("cannot read {file}: {source}")]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {file}: {source}")]
    Write {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file} is not a rebuy users file: {detail}")]
    Damaged { file: PathBuf, detail: String },
    #[error("{0}")]
    Invalid(String),
}

impl UsersFile {
    /// An empty file's contents.
    pub fn new() -> UsersFile {
        UsersFile {
            format_version: USERS_FORMAT_VERSION,
            users: Vec::new(),
        }
    }

    /// Reads `path`; a missing file is an empty one when `missing_is_empty` (for
    /// `rebuy users add`), an error otherwise (for `rebuy serve`).
    pub fn load(path: &Path, missing_is_empty: bool) -> Result<UsersFile, UsersError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && missing_is_empty => {
                return Ok(UsersFile::new());
            }
            Err(source) => {
                return Err(UsersError::Read {
                    file: path.to_path_buf(),
                    source,
                });
            }
        };
        let damaged = |detail: String| UsersError::Damaged {
            file: path.to_path_buf(),
            detail,
        };
        let file: UsersFile = serde_json::from_str(&text).map_err(|e| damaged(e.to_string()))?;
        if file.format_version != USERS_FORMAT_VERSION {
            return Err(damaged(format!(
                "format_version {} (this rebuy reads {USERS_FORMAT_VERSION})",
                file.format_version
            )));
        }
        for user in &file.users {
            check_name(&user.name).map_err(|e| damaged(e.to_string()))?;
            PasswordHash::new(&user.password).map_err(|e| {
                damaged(format!("user {}: password hash unreadable: {e}", user.name))
            })?;
        }
        Ok(file)
    }

    /// Writes the file readable by its owner only (0600), through a temporary file
    /// renamed over the old one, so a server re-reading it never sees half a file.
    pub fn save(&self, path: &Path) -> Result<(), UsersError> {
        let write_error = |source| UsersError::Write {
            file: path.to_path_buf(),
            source,
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| write_error(std::io::Error::other(e)))?;
        text.push('\n');
        let temp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
        // NamedTempFile is created 0600 on unix, and a rename keeps the mode.
        std::fs::write(temp.path(), text).map_err(write_error)?;
        temp.persist(path).map_err(|e| write_error(e.error))?;
        Ok(())
    }

    pub fn find(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Adds `name` with `password` (hashed here with argon2id and a random salt).
    pub fn add(&mut self, name: &str, role: Role, password: &str) -> Result<(), UsersError> {
        check_name(name)?;
        if self.find(name).is_some() {
            return Err(UsersError::Invalid(format!(
                "user {name} exists already (`rebuy users remove` first to replace them)"
            )));
        }
        let chars = password.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(UsersError::Invalid(format!(
                "the password has {chars} characters: at least {MIN_PASSWORD_CHARS} are needed"
            )));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(UsersError::Invalid(format!(
                "the password has {chars} characters: at most {MAX_PASSWORD_CHARS} are accepted"
            )));
        }
        self.users.push(User {
            name: name.to_string(),
            role,
            password: hash_password(password)?,
            created: today(),
            tokens: Vec::new(),
        });
        Ok(())
    }

    pub fn remove(&mut self, name: &str) -> Result<(), UsersError> {
        let before = self.users.len();
        self.users.retain(|u| u.name != name);
        if self.users.len() == before {
            return Err(no_such_user(name));
        }
        Ok(())
    }

    /// Makes a new API token for `name`, keeps its hash and returns the token: the only
    /// time it is ever seen.
    pub fn new_token(&mut self, name: &str) -> Result<String, UsersError> {
        let user = self
            .users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(|| no_such_user(name))?;
        let token = format!("{TOKEN_PREFIX}{}", random_hex(32));
        let sha256 = token_hash(&token);
        user.tokens.push(TokenRecord {
            id: sha256[..8].to_string(),
            sha256,
            created: today(),
        });
        Ok(token)
    }

    /// Drops every API token of `name`; returns how many there were.
    pub fn revoke_tokens(&mut self, name: &str) -> Result<usize, UsersError> {
        let user = self
            .users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(|| no_such_user(name))?;
        Ok(std::mem::take(&mut user.tokens).len())
    }

    /// The user whose password this is, or None: for an unknown name a dummy hash is
    /// checked all the same, so the answer takes as long as for a known user with a
    /// wrong password. argon2's comparison is constant-time.
    pub fn check_password(&self, name: &str, password: &str) -> Option<&User> {
        let user = self.find(name);
        let hash = user.map_or(DUMMY_HASH.as_str(), |u| u.password.as_str());
        let verified = PasswordHash::new(hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        });
        user.filter(|_| verified)
    }

    /// The user holding this API token, if any.
    pub fn check_token(&self, token: &str) -> Option<&User> {
        if !token.starts_with(TOKEN_PREFIX) {
            return None;
        }
        let hash = token_hash(token);
        self.users
            .iter()
            .find(|u| u.tokens.iter().any(|t| t.sha256 == hash))
    }
}

impl Default for UsersFile {
    fn default() -> Self {
        UsersFile::new()
    }
}

/// A hash of a password nobody knows (random), checked for unknown user names so that
/// they cost one argon2 run like a known name. Its salt may be fixed: no one can sign
/// in with it, and a fixed salt leaves hashing no way to fail for want of randomness.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let hash: Result<PasswordHash, _> =
        Argon2::default().hash_password_with_salt(random_hex(16).as_bytes(), b"rebuy-dummy-salt");
    hash.map(|hash| hash.to_string()).unwrap_or_default()
});

fn hash_password(password: &str) -> Result<String, UsersError> {
    let hash: Result<PasswordHash, _> = Argon2::default().hash_password(password.as_bytes());
    hash.map(|hash| hash.to_string())
        .map_err(|e| UsersError::Invalid(format!("cannot hash the password: {e}")))
}

/// `bytes` random bytes from the operating system's generator, as hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    hex(&buffer)
}

pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

fn no_such_user(name: &str) -> UsersError {
    UsersError::Invalid(format!("no user named {name} in the users file"))
}

/// Names are what a person types on the login page and reads in the server log.
fn check_name(name: &str) -> Result<(), UsersError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if name.is_empty() || name.len() > 64 || !name.chars().all(allowed) {
        return Err(UsersError::Invalid(format!(
            "user name {name:?}: use 1 to 64 letters, digits or . _ - @"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_kept_only_as_an_argon2id_hash_and_checks_back() {
        let mut file = UsersFile::new();
        file.add("ana", Role::Viewer, "correct horse battery")
            .unwrap();
        let stored = &file.users[0].password;
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains("correct horse"));
        assert_eq!(
            file.check_password("ana", "correct horse battery")
                .map(|u| u.name.as_str()),
            Some("ana")
        );
        assert!(
            file.check_password("ana", "correct horse batterz")
                .is_none()
        );
        assert!(
            file.check_password("bob", "correct horse battery")
                .is_none()
        );
    }

    #[test]
    fn short_passwords_odd_names_and_duplicates_are_refused() {
        let mut file = UsersFile::new();
        assert!(file.add("ana", Role::Viewer, "short").is_err());
        assert!(
            file.add("a b", Role::Viewer, "long enough password")
                .is_err()
        );
        assert!(file.add("", Role::Viewer, "long enough password").is_err());
        file.add("ana", Role::Analyst, "long enough password")
            .unwrap();
        assert!(
            file.add("ana", Role::Viewer, "another long password")
                .is_err()
        );
        assert!(file.remove("bob").is_err());
        file.remove("ana").unwrap();
        assert!(file.users.is_empty());
    }

    #[test]
    fn a_token_is_shown_once_and_only_its_hash_is_kept() {
        let mut file = UsersFile::new();
        file.add("ana", Role::Viewer, "long enough password")
            .unwrap();
        let token = file.new_token("ana").unwrap();
        assert!(token.starts_with(TOKEN_PREFIX) && token.len() == TOKEN_PREFIX.len() + 64);
        let text = serde_json::to_string(&file).unwrap();
        assert!(!text.contains(&token[TOKEN_PREFIX.len()..]));
        assert_eq!(
            file.check_token(&token).map(|u| u.name.as_str()),
            Some("ana")
        );
        assert!(file.check_token(&format!("{token}0")).is_none());
        assert_eq!(file.revoke_tokens("ana").unwrap(), 1);
        assert!(file.check_token(&token).is_none());
    }

    #[test]
    fn the_file_is_private_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.json");
        let mut file = UsersFile::load(&path, true).unwrap();
        file.add("ana", Role::Analyst, "long enough password")
            .unwrap();
        file.save(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "mode {mode:o}");
        }
        let back = UsersFile::load(&path, false).unwrap();
        assert_eq!(back.users[0].role, Role::Analyst);
        assert!(UsersFile::load(&dir.path().join("none.json"), false).is_err());
        std::fs::write(&path, r#"{"format_version": 9, "users": []}"#).unwrap();
        let error = UsersFile::load(&path, false).unwrap_err().to_string();
        assert!(error.contains("format_version 9"), "{error}");
    }
}
