//! Where the database password comes from when the URL has none, as libpq does it:
//! `PGPASSWORD`, then the password file (`passfile=FILE` in the URL, `PGPASSFILE`, or
//! `~/.pgpass`), so a password need not be written on a command line, where `ps` and
//! the shell's history would show it. It is never printed.
//!
//! A password file has lines `host:port:database:user:password`; `*` matches anything,
//! `\:` and `\\` are a literal `:` and `\`, `#` starts a comment; the first line that
//! matches wins. Like libpq, a file others may read is not used (it must be 0600).

use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// What the password must match: the first host, port, database and user of the URL.
#[derive(Debug)]
pub struct Target<'a> {
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub user: &'a str,
}

/// The password for `target` from the environment or the password file, if any.
/// `env` reads an environment variable (a parameter, so tests need not set the process's).
pub fn find(
    target: &Target<'_>,
    passfile: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<String>> {
    if let Some(password) = env("PGPASSWORD").filter(|p| !p.is_empty()) {
        return Ok(Some(password));
    }
    let file = match passfile {
        Some(file) => file.to_path_buf(),
        None => match env("PGPASSFILE") {
            Some(file) => PathBuf::from(file),
            None => match env("HOME") {
                Some(home) => Path::new(&home).join(".pgpass"),
                None => return Ok(None),
            },
        },
    };
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        // libpq too goes on without a password when the file is not there.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && passfile.is_none() => {
            return Ok(None);
        }
        Err(e) => {
            return Err(Error::Invalid(format!(
                "password file {}: {e}",
                file.display()
            )));
        }
    };
    let Some(password) = text
        .lines()
        .find_map(|line| matching_password(line, target))
    else {
        return Ok(None);
    };
    check_private(&file)?;
    Ok(Some(password))
}

fn check_private(file: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file)
            .map_err(|e| Error::Invalid(format!("password file {}: {e}", file.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Error::Invalid(format!(
                "password file {} may be read by others (mode {:o}): `chmod 0600 {}` first",
                file.display(),
                mode & 0o777,
                file.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// The password of `line` when its four first fields match `target`.
fn matching_password(line: &str, target: &Target<'_>) -> Option<String> {
    if line.trim_start().starts_with('#') {
        return None;
    }
    let fields = split_fields(line);
    let [host, port, database, user, password] = fields.as_slice() else {
        return None;
    };
    let port_text = target.port.to_string();
    let matches = |field: &str, value: &str| field == "*" || field == value;
    (matches(host, target.host)
        && matches(port, &port_text)
        && matches(database, target.database)
        && matches(user, target.user))
    .then(|| password.clone())
}

/// Splits on `:` outside `\` escapes (the password is the rest of the line).
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next()
                    && let Some(field) = fields.last_mut()
                {
                    field.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => {
                if let Some(field) = fields.last_mut() {
                    field.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const TARGET: Target<'static> = Target {
        host: "db.example",
        port: 5432,
        database: "shop",
        user: "ann",
    };

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn pgpassword_comes_first_then_the_first_matching_line_of_the_file() {
        let env = |name: &str| (name == "PGPASSWORD").then(|| "from-env".to_string());
        assert_eq!(
            find(&TARGET, None, env).unwrap().as_deref(),
            Some("from-env")
        );

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# comment\nother:5432:shop:ann:wrong\n*:5432:shop:ann:p\\:a\\\\ss:word\n*:*:*:*:fallback\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        assert_eq!(
            find(&TARGET, Some(&file), no_env).unwrap().as_deref(),
            Some("p:a\\ss:word")
        );
        let elsewhere = Target {
            database: "other",
            ..TARGET
        };
        assert_eq!(
            find(&elsewhere, Some(&file), no_env).unwrap().as_deref(),
            Some("fallback")
        );
        let home = dir.path().to_str().unwrap().to_string();
        let env = move |name: &str| (name == "HOME").then(|| home.clone());
        assert_eq!(
            find(&TARGET, None, env).unwrap(),
            None,
            "no ~/.pgpass there"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_password_file_others_may_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(&file, "*:*:*:*:secret\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = find(&TARGET, Some(&file), no_env).unwrap_err().to_string();
        assert!(
            error.contains("chmod 0600") && !error.contains("secret"),
            "{error}"
        );
    }
}
