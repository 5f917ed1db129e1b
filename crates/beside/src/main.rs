//! The `beside` command: `serve`, `migrate`, `db copy`, `company create|show|set`,
//! `agent create|list|set|disable|enable|delete|reset-password`, `rule add|list|remove`,
//! `recording export|new-key`.

mod agent_command;
mod recording_command;

use anyhow::Context;
use beside::{startup, telemetry, usage, App, Config, UsageError};
use clap::{Parser, Subcommand};
use model::{RuleId, RuleKind};
use session::{Changer, RuleBook, RuleError};
use std::path::PathBuf;
use std::process::ExitCode;

/// beside: a self-hostable co-browsing server. A support agent and a customer see and
/// act on the same web page, which runs in an isolated cloud browser on this server.
///
/// Settings come from defaults, then the TOML file given with --config, then
/// BESIDE_<SECTION>_<KEY> environment variables (e.g. BESIDE_LISTEN, BESIDE_DATA_DIR,
/// BESIDE_CHROMIUM, BESIDE_BROWSER_ALLOW_PRIVATE, BESIDE_DATABASE_URL,
/// BESIDE_SESSION_PIN_TTL_SECS), then flags.
/// See docs/configuration.md for every setting.
#[derive(Parser)]
#[command(name = "beside", version, about, long_about)]
struct Cli {
    /// A TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: the customer page at /c/<company>, the agent console at /agent.
    ///
    /// On a fresh data directory it creates the demo company `demo` (its start page is
    /// the built-in demo shop) and an agent account whose password it prints once.
    Serve {
        /// Address to listen on (host:port); overrides BESIDE_LISTEN.
        #[arg(long, value_name = "HOST:PORT")]
        listen: Option<String>,
        /// Data directory (database and files); overrides BESIDE_DATA_DIR.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Apply pending database migrations, then exit.
    ///
    /// `beside serve` migrates on start too; this is for operators who migrate before they roll
    /// out a new version. The database is BESIDE_DATABASE_URL's (sqlite://… or postgres://…),
    /// by default beside.db in the data directory.
    Migrate,
    /// Database chores.
    #[command(subcommand)]
    Db(DbCommand),
    /// Manage companies.
    #[command(subcommand)]
    Company(CompanyCommand),
    /// Manage a company's agent accounts (as its administrators do in /admin and through
    /// /api/v1/agents): create, list, set, disable, enable, delete, reset-password.
    #[command(subcommand)]
    Agent(agent_command::AgentCommand),
    /// Manage a company's masking and blocking rules (CSS selectors per URL pattern).
    ///
    /// Rules apply on top of beside's own detection of sensitive fields and actions. A change
    /// made here reaches a running server's live sessions of the company within about a
    /// second (through the HTTP API, /api/v1/rules, at once), and every session started after.
    #[command(subcommand)]
    Rule(RuleCommand),
    /// Recordings of what agents saw: export one as JPEG files and a timeline, or add a
    /// master key (the keys that seal recordings, BESIDE_RECORDINGS_KEY_FILE).
    #[command(subcommand)]
    Recording(recording_command::RecordingCommand),
}

#[derive(Subcommand)]
enum DbCommand {
    /// Copy every table of a stopped installation into a new, empty database, e.g. from SQLite
    /// to PostgreSQL.
    ///
    /// The target is migrated first, must be empty, and gets everything in one transaction;
    /// the row counts of every table are checked before it is committed. A password can come
    /// from PGPASSWORD instead of the URL (arguments are visible to other users of the machine).
    Copy {
        /// The database to copy (default: the configured one, BESIDE_DATABASE_URL or beside.db
        /// in the data directory).
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// The new database: sqlite://PATH or postgres://USER@HOST:PORT/DATABASE.
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(Subcommand)]
enum RuleCommand {
    /// Add a rule: mask (hide from agents) or block (reserve for the customer) what a CSS
    /// selector finds on the pages a URL pattern covers.
    Add {
        /// The company's slug.
        #[arg(long)]
        company: String,
        /// `mask` or `block`.
        #[arg(long)]
        kind: RuleKind,
        /// A CSS selector, e.g. '#iban' or '.account-number, [name=ssn]'.
        #[arg(long)]
        selector: String,
        /// The pages the rule covers: `*` (every page), `example.com`, `*.example.com/checkout/*`,
        /// `https://shop.example.com:8443/account`.
        #[arg(long, value_name = "PATTERN", default_value = "*")]
        url_pattern: String,
    },
    /// List a company's rules, oldest first (one per line: id, kind, URL pattern, selector).
    List {
        /// The company's slug.
        #[arg(long)]
        company: String,
    },
    /// Remove a rule by its id (as `rule list` prints it).
    Remove {
        /// The company's slug.
        #[arg(long)]
        company: String,
        /// The rule's id, e.g. rul_…
        id: String,
    },
}

#[derive(Subcommand)]
enum CompanyCommand {
    /// Create a company. Its customers start sessions at /c/<SLUG>.
    Create {
        /// Short name used in addresses: lowercase letters, digits and dashes.
        slug: String,
        /// The company's display name.
        #[arg(long)]
        name: String,
        /// The page sessions open first (default: the built-in demo shop).
        #[arg(long, value_name = "URL")]
        start_url: Option<String>,
    },
    /// Show a company and what it decides about its sessions.
    Show {
        /// The company's slug.
        slug: String,
    },
    /// Change what a company decides about its sessions (also `PATCH /api/v1/company` for its
    /// administrators). Settings left out stay as they are; live sessions apply a change to
    /// the next agent who joins, and to the transcript when they end.
    Set {
        /// The company's slug.
        slug: String,
        /// The customer approves each agent who redeems a PIN before they join (`pin.approval`).
        #[arg(long, value_name = "BOOL")]
        pin_approval: Option<bool>,
        /// Agents start with control of the page (true, the default) or ask the customer for
        /// it (false). The customer grants and revokes it at any moment either way.
        #[arg(long, value_name = "BOOL")]
        agents_start_with_control: Option<bool>,
        /// `keep` keeps each session's chat with its record; `delete` (the default) lets it go
        /// with the session.
        #[arg(long, value_name = "POLICY")]
        transcripts: Option<store::TranscriptPolicy>,
        /// `open` (the default): anyone may start a session from the company's page;
        /// `signed`: a start needs a token signed by the company's site with its start
        /// secret (see `beside company start-secret` and docs/security.md).
        #[arg(long, value_name = "MODE")]
        start: Option<store::StartMode>,
        /// What agents see of a PDF without form fields: `show` (the default) or `hide`
        /// (they see that a PDF is shown, never its pages). A PDF with form fields is hidden
        /// from agents whatever this says.
        #[arg(long, value_name = "VIEW")]
        pdfs: Option<model::PdfView>,
    },
    /// Print the company's start secret (made on first use), the key its site signs start
    /// tokens with. Keep it on the company's server; anyone holding it can start sessions.
    StartSecret {
        /// The company's slug.
        slug: String,
        /// Make a new secret; tokens signed with the old one stop working at once.
        #[arg(long)]
        renew: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("beside: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("beside: {e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref(), std::env::vars()).map_err(usage)?;
    match cli.command {
        Command::Serve { listen, data_dir } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if let Some(dir) = data_dir {
                config.data_dir = dir;
            }
            config.validate().map_err(usage)?;
            telemetry::init_logging(&config.log.format, &config.log.level);
            serve(config).await
        }
        Command::Company(CompanyCommand::Create { slug, name, start_url }) => {
            if let Some(url) = &start_url {
                let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
                if !ok {
                    return Err(usage(format!(
                        "--start-url `{url}` must be an http or https address"
                    )));
                }
            }
            let store = startup::store_for_cli(&config).await?;
            let company = store
                .create_company(store::NewCompany { slug, name, start_url })
                .await
                .map_err(store_error)?;
            println!(
                "Created company {} ({}). Customer page: /c/{}",
                company.slug, company.id, company.slug
            );
            Ok(())
        }
        Command::Company(CompanyCommand::Show { slug }) => {
            let store = startup::store_for_cli(&config).await?;
            let company = company_by_slug(&store, &slug).await?;
            print_company(&company);
            Ok(())
        }
        Command::Company(CompanyCommand::Set {
            slug,
            pin_approval,
            agents_start_with_control,
            transcripts,
            start,
            pdfs,
        }) => {
            let store = startup::store_for_cli(&config).await?;
            let mut company = company_by_slug(&store, &slug).await?;
            let before = company.policy;
            let policy = store::SessionPolicy {
                pin_approval: pin_approval.unwrap_or(before.pin_approval),
                agents_start_with_control: agents_start_with_control
                    .unwrap_or(before.agents_start_with_control),
                transcripts: transcripts.unwrap_or(before.transcripts),
                start: start.unwrap_or(before.start),
                pdfs: pdfs.unwrap_or(before.pdfs),
            };
            if policy.start == store::StartMode::Signed && company.start_secret.is_none() {
                // A signed start needs a key: made now, read with `company start-secret`.
                let secret = store.start_secret(&company.id, false).await.map_err(store_error)?;
                company.start_secret = Some(secret);
            }
            if policy != before {
                store.set_session_policy(&company.id, policy).await.map_err(store_error)?;
                let event = policy.changed_event(&company.id, None);
                if let Err(error) = store.record_audit(&event).await {
                    eprintln!(
                        "warning: the change was made, but could not be written to the audit \
                         log: {error}"
                    );
                }
                company.policy = policy;
            }
            print_company(&company);
            Ok(())
        }
        Command::Company(CompanyCommand::StartSecret { slug, renew }) => {
            let store = startup::store_for_cli(&config).await?;
            let company = company_by_slug(&store, &slug).await?;
            let secret = store.start_secret(&company.id, renew).await.map_err(store_error)?;
            let event = store::start_secret_event(&company.id, None, renew);
            warn_unaudited(store.record_audit(&event).await.err());
            println!("{}", secret.expose());
            Ok(())
        }
        Command::Agent(command) => agent_command::run(&config, command).await,
        Command::Migrate => {
            let store = startup::store_for_cli(&config).await?;
            let version = store.schema_version().await?;
            println!("The database {} is at schema version {version}.", store.url());
            store.close().await;
            Ok(())
        }
        Command::Db(DbCommand::Copy { from, to }) => copy_database(&config, from, &to).await,
        Command::Rule(command) => rule_command(&config, command).await,
        Command::Recording(command) => recording_command::run(&config, command).await,
    }
}

/// `beside db copy`: every table into a new, empty database, counts checked.
async fn copy_database(config: &Config, from: Option<String>, to: &str) -> anyhow::Result<()> {
    let parse = |flag: &str, url: &str| {
        store::DatabaseUrl::parse(url).map_err(|e| usage(format!("--{flag}: {e}")))
    };
    let from = match from {
        Some(url) => parse("from", &url)?,
        None => config.database_url().map_err(usage)?,
    };
    let to = parse("to", to)?;
    if from == to {
        return Err(usage(format!("--from and --to are the same database ({from})")));
    }
    let source = startup::open_database(&from, &config.database).await?;
    let target = startup::open_database(&to, &config.database).await?;
    let report = source.copy_to(&target).await.map_err(|e| match e {
        store::StoreError::Copy(_) => usage(e),
        other => anyhow::Error::from(other).context("the copy failed; the target was left empty"),
    })?;
    for (table, n_rows) in &report.tables {
        println!("{table}: {n_rows} rows");
    }
    println!("Copied {} rows from {from} to {to}; the row counts match.", report.total_rows());
    source.close().await;
    target.close().await;
    Ok(())
}

async fn rule_command(config: &Config, command: RuleCommand) -> anyhow::Result<()> {
    let store = startup::store_for_cli(config).await?;
    let company = |slug: String| {
        let store = store.clone();
        async move {
            store
                .company_by_slug(&slug)
                .await?
                .ok_or_else(|| usage(format!("there is no company `{slug}`")))
        }
    };
    let book = RuleBook::for_command_line(store.clone(), config.browser.clone());
    match command {
        RuleCommand::Add { company: slug, kind, selector, url_pattern } => {
            let company = company(slug).await?;
            let by = Changer::CommandLine;
            let created = match book.create(&company.id, by, kind, &selector, &url_pattern).await {
                // The guard would skip a selector Chromium cannot parse; when Chromium cannot be
                // asked here, the rule is kept on the strength of beside's own check.
                Err(RuleError::CheckUnavailable(error)) => {
                    eprintln!(
                        "warning: Chromium could not check the selector ({error}); it passed \
                         beside's own check and is kept"
                    );
                    book.without_check()
                        .create(&company.id, by, kind, &selector, &url_pattern)
                        .await
                }
                other => other,
            }
            .map_err(|e| match e {
                RuleError::Unparsable(reason) => usage(format!(
                    "the browser cannot apply the selector `{}`: {reason}",
                    selector.trim()
                )),
                other => rule_error(other),
            })?;
            warn_unaudited(created.unaudited);
            let rule = created.value;
            println!(
                "Created rule {}: {} `{}` on {} for {}.",
                rule.id, rule.kind, rule.selector, rule.url_pattern, company.slug
            );
        }
        RuleCommand::List { company: slug } => {
            let company = company(slug).await?;
            for rule in store.rules(&company.id).await? {
                println!("{}\t{}\t{}\t{}", rule.id, rule.kind, rule.url_pattern, rule.selector);
            }
        }
        RuleCommand::Remove { company: slug, id } => {
            let company = company(slug).await?;
            let id = RuleId::parse(&id).map_err(|_| {
                usage(format!("`{id}` is not a rule id; `beside rule list` shows them"))
            })?;
            let removed =
                book.delete(&company.id, Changer::CommandLine, &id).await.map_err(|e| match e {
                    RuleError::NotFound => usage(format!("{} has no rule {id}", company.slug)),
                    other => rule_error(other),
                })?;
            warn_unaudited(removed.unaudited);
            println!("Removed rule {id} from {}.", company.slug);
        }
    }
    Ok(())
}

/// A change is made either way; a failure to record it in the audit log is reported.
fn warn_unaudited(error: Option<store::StoreError>) {
    if let Some(error) = error {
        eprintln!(
            "warning: the change was made, but could not be written to the audit log: {error}"
        );
    }
}

/// Invalid rules and conflicts are the user's to fix; anything else is ours.
fn rule_error(e: RuleError) -> anyhow::Error {
    match e {
        RuleError::Invalid(_)
        | RuleError::Refused(_)
        | RuleError::Conflict(_)
        | RuleError::Unparsable(_)
        | RuleError::NoDrafts
        | RuleError::NoHistory => usage(e),
        other => other.into(),
    }
}

async fn company_by_slug(store: &store::Store, slug: &str) -> anyhow::Result<store::Company> {
    store.company_by_slug(slug).await?.ok_or_else(|| usage(format!("there is no company `{slug}`")))
}

/// A company and its session policy, one setting a line.
fn print_company(company: &store::Company) {
    let p = &company.policy;
    println!("{} ({})", company.slug, company.name);
    println!("  start_url: {}", company.start_url.as_deref().unwrap_or("(the demo shop)"));
    println!("  pin_approval: {}", p.pin_approval);
    println!("  agents_start_with_control: {}", p.agents_start_with_control);
    println!("  transcripts: {}", p.transcripts);
    println!("  start: {}", p.start);
    println!("  pdfs: {}", p.pdfs);
}

/// Conflicts and invalid values are the user's to fix; anything else is ours.
fn store_error(e: store::StoreError) -> anyhow::Error {
    match e {
        store::StoreError::Conflict(_) | store::StoreError::Invalid(_) => usage(e),
        other => other.into(),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    // Listen for the stop signals before anything starts: a signal during start-up then stops
    // beside cleanly once it is up, instead of killing it with its Chromium's files left behind.
    let stop = stop_signals().context("cannot listen for stop signals")?;
    let mut app = App::build(config).await?;
    let base = app.base_url();
    if let Some(demo) = app.take_demo_credentials() {
        println!(
            "Created the demo company \"{}\" with an agent login (shown only this once):",
            startup::DEMO_SLUG
        );
        println!("  email:    {}", demo.email);
        println!("  password: {}", demo.password.expose());
    }
    println!("Listening on {base}");
    println!("  customer page: {base}/c/{}", startup::DEMO_SLUG);
    println!("  agent console: {base}/agent");
    if let Some(redirect) = app.redirect_addr() {
        println!("  plain HTTP on {redirect} redirects to HTTPS");
    }
    app.run_until_stopped(stop).await
}

/// Resolves on SIGINT or SIGTERM; both are caught from the moment this is called.
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
    })
}
