//! Where passphrases come from: `PARLEY_PASSPHRASE` (and `PARLEY_NEW_PASSPHRASE` for a
//! change) for scripts and tests, otherwise a prompt on the terminal that does not echo.

use parley_agent::Passphrase;

use super::Failure;

fn from_env_or_prompt(var: &str, prompt: &str) -> Result<Passphrase, Failure> {
    let text = match std::env::var(var) {
        Ok(v) => v,
        Err(_) => rpassword::prompt_password(prompt).map_err(|e| {
            Failure::usage(format!("cannot read the passphrase ({e}); set {var} to pass it another way"))
        })?,
    };
    Ok(Passphrase::new(text)?)
}

pub(crate) fn current() -> Result<Passphrase, Failure> {
    from_env_or_prompt("PARLEY_PASSPHRASE", "Vault passphrase: ")
}

fn confirmed(var: &str, prompt: &str) -> Result<Passphrase, Failure> {
    if std::env::var(var).is_ok() {
        return from_env_or_prompt(var, prompt);
    }
    let first = rpassword::prompt_password(prompt)
        .map_err(|e| Failure::usage(format!("cannot read the passphrase: {e}")))?;
    let again = rpassword::prompt_password("Again: ")
        .map_err(|e| Failure::usage(format!("cannot read the passphrase: {e}")))?;
    if first != again {
        return Err(Failure::refused("the two passphrases differ"));
    }
    Ok(Passphrase::new(first)?)
}

pub(crate) fn new_passphrase() -> Result<Passphrase, Failure> {
    confirmed("PARLEY_PASSPHRASE", "New vault passphrase: ")
}

pub(crate) fn new_passphrase_for_change() -> Result<Passphrase, Failure> {
    confirmed("PARLEY_NEW_PASSPHRASE", "New passphrase: ")
}
