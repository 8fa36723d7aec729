//! `rebuy users`: the users file of `rebuy serve --users` (format and checks in
//! `rebuy_server::auth::users`).

use crate::cli::{UsersAddArgs, UsersCommand};
use crate::exit::InputError;
use anyhow::{Context, Result};
use rebuy_server::auth::users::{Role, UsersError, UsersFile};
use std::io::{BufRead, IsTerminal};
use std::path::Path;

pub fn users(command: &UsersCommand) -> Result<()> {
    match command {
        UsersCommand::Add(args) => add(args),
        UsersCommand::Remove(args) => change(&args.file.file, |file| {
            file.remove(&args.name)?;
            println!("removed {}", args.name);
            Ok(())
        }),
        UsersCommand::List(args) => list(&args.file),
        UsersCommand::Token(args) => change(&args.file.file, |file| {
            let token = file.new_token(&args.name)?;
            eprintln!(
                "API token for {} (shown once; send it as `Authorization: Bearer TOKEN`):",
                args.name
            );
            println!("{token}");
            Ok(())
        }),
        UsersCommand::Revoke(args) => change(&args.file.file, |file| {
            let count = file.revoke_tokens(&args.name)?;
            println!("revoked {count} API tokens of {}", args.name);
            Ok(())
        }),
    }
}

fn add(args: &UsersAddArgs) -> Result<()> {
    let role = Role::parse(&args.role).map_err(input_error)?;
    let name = &args.user.name;
    let password = read_password(name)?;
    change(&args.user.file.file, |file| {
        file.add(name, role, &password)?;
        println!("added {name} ({role})");
        Ok(())
    })
}

/// Reads the file (an absent one is empty), applies `edit` and writes it back.
fn change(path: &Path, edit: impl FnOnce(&mut UsersFile) -> Result<(), UsersError>) -> Result<()> {
    let mut file = UsersFile::load(path, true).map_err(input_error)?;
    edit(&mut file).map_err(input_error)?;
    file.save(path)?;
    Ok(())
}

fn list(path: &Path) -> Result<()> {
    let file = UsersFile::load(path, false).map_err(input_error)?;
    if file.users.is_empty() {
        println!(
            "no users in {} (add one with `rebuy users add`)",
            path.display()
        );
        return Ok(());
    }
    println!("{:<24} {:<8} {:<11} API tokens", "name", "role", "added");
    for user in &file.users {
        let tokens: Vec<&str> = user.tokens.iter().map(|t| t.id.as_str()).collect();
        println!(
            "{:<24} {:<8} {:<11} {}",
            user.name,
            user.role,
            user.created,
            if tokens.is_empty() {
                "none".to_string()
            } else {
                tokens.join(", ")
            }
        );
    }
    Ok(())
}

/// The new password: asked twice without echo on a terminal, else the first line of
/// standard input (for scripts: `printf '%s\n' "$PASSWORD" | rebuy users add ...`).
fn read_password(name: &str) -> Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "))
            .context("cannot read the password from the terminal")?;
        let second = rpassword::prompt_password("The same password again: ")
            .context("cannot read the password from the terminal")?;
        if first != second {
            return Err(InputError("the two passwords differ: nothing was changed".into()).into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

fn input_error(error: UsersError) -> anyhow::Error {
    match error {
        UsersError::Write { .. } => anyhow::Error::new(error),
        other => InputError(other.to_string()).into(),
    }
}
