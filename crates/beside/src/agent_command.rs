//! `beside agent …`: a company's agent accounts on the command line, the same changes as the
//! API's `/api/v1/agents` (through `server::accounts`, so each is audited as made on the
//! command line).

use crate::{company_by_slug, store_error, warn_unaudited};
use anyhow::Context;
use beside::{startup, usage, Config};
use clap::Subcommand;
use model::{AgentRole, Secret};
use server::accounts::{AccountError, Accounts, NewPassword, PasswordLink};
use server::password::PasswordError;
use session::Changer;
use std::io::Read;

#[derive(Subcommand)]
pub(crate) enum AgentCommand {
    /// Create an agent account.
    ///
    /// With --password-stdin the password is read from standard input; without it, beside
    /// prints a one-time link (valid 7 days) through which the agent sets their own. beside
    /// sends no mail: hand the link over yourself.
    Create {
        /// The company's slug.
        #[arg(long)]
        company: String,
        #[arg(long)]
        email: String,
        /// The name customers see on the agent's cursor.
        #[arg(long)]
        name: String,
        /// Read the password from standard input (passwords never go in arguments).
        #[arg(long)]
        password_stdin: bool,
        /// `agent` or `admin`.
        #[arg(long, default_value = "agent")]
        role: AgentRole,
    },
    /// List a company's agents by email, one a line: id, email, name, role, and `active` or
    /// `disabled` (tab-separated).
    List {
        /// The company's slug.
        #[arg(long)]
        company: String,
    },
    /// Change an agent's name, email address or role; what is left out stays as it is.
    Set {
        #[command(flatten)]
        which: Which,
        /// The new name customers see on the agent's cursor.
        #[arg(long)]
        name: Option<String>,
        /// The new email address they sign in with.
        #[arg(long, value_name = "EMAIL")]
        new_email: Option<String>,
        /// `agent` or `admin`.
        #[arg(long)]
        role: Option<AgentRole>,
    },
    /// Disable an agent: their logins end at once and they cannot sign in until enabled.
    Disable(Which),
    /// Enable a disabled agent again.
    Enable(Which),
    /// Remove an agent account and their logins for good.
    Delete(Which),
    /// Reset an agent's password: the old one and their logins stop working at once.
    ///
    /// beside prints a one-time link (valid 7 days) for the agent to set a new one, or, with
    /// --password-stdin, sets the password read from standard input.
    ResetPassword {
        #[command(flatten)]
        which: Which,
        /// Read the new password from standard input instead of printing a link.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// One agent of one company.
#[derive(clap::Args)]
pub(crate) struct Which {
    /// The company's slug.
    #[arg(long)]
    company: String,
    /// The agent's email address (in any letter case).
    #[arg(long)]
    email: String,
}

pub(crate) async fn run(config: &Config, command: AgentCommand) -> anyhow::Result<()> {
    let password = match &command {
        AgentCommand::Create { password_stdin: true, .. }
        | AgentCommand::ResetPassword { password_stdin: true, .. } => Some(read_password().await?),
        _ => None,
    };
    let store = startup::store_for_cli(config).await?;
    let accounts = Accounts::new(store.clone());
    let by = Changer::CommandLine;
    match command {
        AgentCommand::Create { company, email, name, password_stdin: _, role } => {
            let company = company_by_slug(&store, &company).await?;
            let new_password = match password {
                Some(hash) => NewPassword::Hashed(hash),
                None => NewPassword::Link,
            };
            let created = accounts
                .create(by, &company.id, email, name, role, new_password)
                .await
                .map_err(account_error)?;
            warn_unaudited(created.unaudited);
            let (agent, link) = created.value;
            println!("Created {} {} <{}> in {}.", agent.role, agent.id, agent.email, company.slug);
            if let Some(link) = link {
                print_link(config, "Give them this link to set their password", &link);
            }
        }
        AgentCommand::List { company } => {
            let company = company_by_slug(&store, &company).await?;
            for agent in store.agents(&company.id).await? {
                print_agent(&agent);
            }
        }
        AgentCommand::Disable(which) => set_disabled(&store, &accounts, which, true).await?,
        AgentCommand::Enable(which) => set_disabled(&store, &accounts, which, false).await?,
        AgentCommand::Set { which, name, new_email, role } => {
            if name.is_none() && new_email.is_none() && role.is_none() {
                return Err(usage("say what to change: --name, --new-email or --role"));
            }
            let (company, agent) = find(&store, &which).await?;
            let changes = store::AgentChanges { email: new_email, name, role, disabled: None };
            let changed = accounts
                .update(by, &company.id, &agent.id, agent.version, changes)
                .await
                .map_err(account_error)?;
            warn_unaudited(changed.unaudited);
            print_agent(&changed.value);
        }
        AgentCommand::Delete(which) => {
            let (company, agent) = find(&store, &which).await?;
            let removed =
                accounts.delete(by, &company.id, &agent.id).await.map_err(account_error)?;
            warn_unaudited(removed.unaudited);
            println!("Removed {} from {}; their logins ended.", agent.email, company.slug);
        }
        AgentCommand::ResetPassword { which, password_stdin: _ } => {
            let (company, agent) = find(&store, &which).await?;
            match password {
                Some(hash) => {
                    let set = accounts
                        .set_password(by, &company.id, &agent.id, &hash)
                        .await
                        .map_err(account_error)?;
                    warn_unaudited(set.unaudited);
                    println!(
                        "Set a new password for {} in {}; their logins ended.",
                        agent.email, company.slug
                    );
                }
                None => {
                    let reset = accounts
                        .reset_password(by, &company.id, &agent.id)
                        .await
                        .map_err(account_error)?;
                    warn_unaudited(reset.unaudited);
                    println!(
                        "The password of {} in {} no longer works; their logins ended.",
                        agent.email, company.slug
                    );
                    print_link(config, "Give them this link to set a new one", &reset.value);
                }
            }
        }
    }
    Ok(())
}

/// One agent a line, as `agent list` prints them.
fn print_agent(agent: &store::Agent) {
    let state = if agent.disabled { "disabled" } else { "active" };
    println!("{}\t{}\t{}\t{}\t{state}", agent.id, agent.email, agent.name, agent.role);
}

/// The password on standard input (one trailing line break dropped), hashed.
async fn read_password() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']).to_owned();
    server::accounts::hash(Secret::new(password)).await.map_err(password_error)
}

/// The company and its agent `which` names; either missing is the user's to fix.
async fn find(
    store: &store::Store,
    which: &Which,
) -> anyhow::Result<(store::Company, store::Agent)> {
    let slug = &which.company;
    let company = company_by_slug(store, slug).await?;
    let wanted = which.email.trim().to_lowercase();
    let agent =
        store.agents(&company.id).await?.into_iter().find(|a| a.email.to_lowercase() == wanted);
    let agent = agent.ok_or_else(|| {
        usage(format!(
            "{slug} has no agent `{}`; `beside agent list --company {slug}` shows them",
            which.email
        ))
    })?;
    Ok((company, agent))
}

async fn set_disabled(
    store: &store::Store,
    accounts: &Accounts,
    which: Which,
    disabled: bool,
) -> anyhow::Result<()> {
    let (company, agent) = find(store, &which).await?;
    let done = if disabled { "disabled" } else { "enabled" };
    if agent.disabled == disabled {
        println!("{} in {} is {done} already.", agent.email, company.slug);
        return Ok(());
    }
    let changes = store::AgentChanges { disabled: Some(disabled), ..Default::default() };
    let changed = accounts
        .update(Changer::CommandLine, &company.id, &agent.id, agent.version, changes)
        .await
        .map_err(account_error)?;
    warn_unaudited(changed.unaudited);
    let logins = if disabled { "; their logins ended" } else { "" };
    println!("{} in {} is {done}{logins}.", agent.email, company.slug);
    Ok(())
}

/// The link in full (with `server.public_url`, or the listen address), on a line of its own.
fn print_link(config: &Config, intro: &str, link: &PasswordLink) {
    let base = match &config.server.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}", config.listen),
    };
    let expires_at = link.expires_at.replace_nanosecond(0).unwrap_or(link.expires_at);
    let until = expires_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| expires_at.to_string());
    println!("{intro} (it works once, until {until}):");
    println!("{base}{}", link.path());
}

fn password_error(e: PasswordError) -> anyhow::Error {
    match e {
        PasswordError::Hash(_) => e.into(),
        _ => usage(e),
    }
}

/// Bad input and conflicts are the user's to fix; anything else is ours.
fn account_error(e: AccountError) -> anyhow::Error {
    match e {
        AccountError::Password(e) => password_error(e),
        AccountError::Store(e @ store::StoreError::Stale(_)) => {
            usage(format!("{e}; someone changed the agent meanwhile, try again"))
        }
        AccountError::Store(e @ store::StoreError::NotFound(_)) => usage(e),
        AccountError::Store(e) => store_error(e),
    }
}
