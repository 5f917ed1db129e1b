//! A private PostgreSQL for tests and benchmarks, from Debian's `postgresql` package: `initdb`
//! in a temporary directory (as the unprivileged `nobody` when run as root: PostgreSQL refuses
//! root), listening on a free loopback port with a random password. It stops, and its directory
//! goes, when its handle is dropped or when the process that started it ends (a watcher process
//! waits for the end of a pipe only that process holds).
//!
//! `shared()` is one server per test binary; `fresh_database()` gives each test its own
//! database in it. Not for production use: durability is switched off for speed.

use std::fmt::Write as _;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::DatabaseUrl;

/// The user PostgreSQL runs as when the tests run as root.
const NOBODY: (u32, u32) = (65_534, 65_534);
const USER: &str = "beside";

/// A running private PostgreSQL.
pub struct PrivatePostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    durable: bool,
    password: String,
    /// Dropping it ends the watcher's input, and the watcher stops the server.
    _watcher: std::process::ChildStdin,
}

impl std::fmt::Debug for PrivatePostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivatePostgres").field("dir", &self.dir).field("port", &self.port).finish()
    }
}

/// The server every test of this process shares, started by the first to ask.
pub fn shared() -> &'static PrivatePostgres {
    static SERVER: OnceLock<PrivatePostgres> = OnceLock::new();
    SERVER.get_or_init(|| PrivatePostgres::start().unwrap_or_else(|e| panic!("{e}")))
}

/// A new, empty database in the shared server.
pub async fn fresh_database() -> DatabaseUrl {
    let server = tokio::task::spawn_blocking(shared).await.expect("starting PostgreSQL");
    server.create_database().await
}

/// Records schema migration `version` in a migrated database, as a newer beside would: opening
/// it with this build then fails with `SchemaTooNew`.
pub async fn record_future_migration(url: &DatabaseUrl, version: i64) {
    use sqlx::{ConnectOptions, Connection};
    let sql = format!(
        "INSERT INTO schema_migrations (version, name, applied_at) \
         SELECT {version}, 'from_the_future', applied_at FROM schema_migrations WHERE version = 1"
    );
    match url.sqlite_path() {
        Some(path) => {
            let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .connect()
                .await
                .expect("the SQLite database opens");
            sqlx::raw_sql(&sql).execute(&mut conn).await.expect("the migration is recorded");
            let _ = conn.close().await;
        }
        None => {
            let mut conn = sqlx::PgConnection::connect(&url.expose())
                .await
                .expect("the PostgreSQL database opens");
            sqlx::raw_sql(&sql).execute(&mut conn).await.expect("the migration is recorded");
            let _ = conn.close().await;
        }
    }
}

impl PrivatePostgres {
    /// Runs `initdb` and starts a server for tests: durability off (no fsync), which is fast
    /// and loses nothing but on a crash of the machine (a few seconds). Blocking.
    pub fn start() -> Result<PrivatePostgres, String> {
        PrivatePostgres::start_with(false)
    }

    /// Like `start`, with PostgreSQL's durable defaults (fsync, synchronous commit), as a
    /// production server runs: for benchmarks.
    pub fn start_durable() -> Result<PrivatePostgres, String> {
        PrivatePostgres::start_with(true)
    }

    fn start_with(durable: bool) -> Result<PrivatePostgres, String> {
        let bin = find_bin()?;
        let dir = std::env::temp_dir().join(format!("beside-pg-{}", &model::random_token()[..12]));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let password: String =
            model::random_token().chars().filter(char::is_ascii_alphanumeric).take(24).collect();
        let pwfile = dir.join("pwfile");
        std::fs::write(&pwfile, format!("{password}\n"))
            .map_err(|e| format!("cannot write {}: {e}", pwfile.display()))?;
        if is_root() {
            chown_tree(&dir)?;
        }
        let data = dir.join("data");
        run(as_owner(Command::new(bin.join("initdb")), &dir)
            .arg("--pgdata")
            .arg(&data)
            .args(["--username", USER, "--auth", "scram-sha-256", "--encoding", "UTF8"])
            .args(["--no-locale", "--no-sync", "--no-instructions"])
            .arg("--pwfile")
            .arg(&pwfile))?;
        // The watcher: when the pipe from this process closes (the handle dropped, or the
        // process gone), it stops the server, wherever it is, and removes its directory.
        let mut watcher = as_owner(Command::new("sh"), &dir)
            .arg("-c")
            .arg(r#"cat >/dev/null; "$0" stop -D "$1" -m immediate -w; rm -rf "$2""#)
            .arg(bin.join("pg_ctl"))
            .arg(&data)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the PostgreSQL watcher: {e}"))?;
        let pipe = watcher.stdin.take().expect("the watcher's stdin is piped");
        let mut last_error = String::new();
        // A port found free can be taken before PostgreSQL binds it: try a few.
        for _ in 0..5 {
            let port = free_port()?;
            match pg_ctl_start(&bin, &dir, port, durable) {
                Ok(()) => {
                    return Ok(PrivatePostgres {
                        bin,
                        dir,
                        port,
                        durable,
                        password,
                        _watcher: pipe,
                    })
                }
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// The URL of `database` in this server (as the `beside` superuser, with its password).
    pub fn url(&self, database: &str) -> DatabaseUrl {
        DatabaseUrl::parse(&format!(
            "postgres://{USER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        ))
        .expect("a private PostgreSQL URL parses")
    }

    /// The server's password (it appears in its URLs): for tests that check it never shows.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Creates a new, empty database with a random name.
    pub async fn create_database(&self) -> DatabaseUrl {
        use sqlx::Connection;
        let name = format!("t_{}", model::random_token()[..16].to_lowercase().replace('-', "_"));
        let admin = self.url("postgres").expose();
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the private PostgreSQL: {e}"));
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("cannot create a database: {e}"));
        let _ = conn.close().await;
        self.url(&name)
    }

    /// Kills the server as a crash would (`pg_ctl stop -m immediate`: no shutdown checkpoint,
    /// connections cut). Blocking.
    pub fn kill(&self) -> Result<(), String> {
        run(as_owner(Command::new(self.bin.join("pg_ctl")), &self.dir)
            .arg("stop")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w"]))
    }

    /// Starts the server again after `kill`, on the same port, with the same data. Blocking.
    pub fn restart(&self) -> Result<(), String> {
        pg_ctl_start(&self.bin, &self.dir, self.port, self.durable)
    }
}

fn pg_ctl_start(bin: &Path, dir: &Path, port: u16, durable: bool) -> Result<(), String> {
    let speed = if durable {
        ""
    } else {
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    };
    let settings = format!(
        "-c listen_addresses=127.0.0.1 -p {port} -k {} -c max_connections=300 \
         -c shared_buffers=32MB{speed}",
        dir.display()
    );
    run(as_owner(Command::new(bin.join("pg_ctl")), dir)
        .arg("start")
        .arg("-D")
        .arg(dir.join("data"))
        .arg("-l")
        .arg(dir.join("server.log"))
        .args(["-w", "-t", "60", "-o"])
        .arg(settings))
    .map_err(|e| {
        let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        format!("{e}\n{}", lines[lines.len().saturating_sub(20)..].join("\n"))
    })
}

/// Debian's newest PostgreSQL server binaries (`/usr/lib/postgresql/<version>/bin`).
fn find_bin() -> Result<PathBuf, String> {
    let missing = || {
        "PostgreSQL is not installed (Debian's `postgresql` package); `cargo xtask test` \
         installs it, or run `apt-get install postgresql`"
            .to_owned()
    };
    let versions = std::fs::read_dir("/usr/lib/postgresql").map_err(|_| missing())?;
    versions
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .max()
        .map(|(_, bin)| bin)
        .ok_or_else(missing)
}

fn is_root() -> bool {
    // The owner of /proc/self is this process's user.
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

/// A command run as the server's owner: `nobody` when we are root, else ourselves.
fn as_owner(mut cmd: Command, dir: &Path) -> Command {
    if is_root() {
        cmd.uid(NOBODY.0).gid(NOBODY.1).env("HOME", dir);
    }
    cmd.current_dir(dir).env_remove("PGPASSWORD").env("LC_ALL", "C");
    cmd
}

fn chown_tree(dir: &Path) -> Result<(), String> {
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        std::os::unix::fs::chown(&path, Some(NOBODY.0), Some(NOBODY.1))
            .map_err(|e| format!("cannot hand {} to nobody: {e}", path.display()))?;
    }
    std::os::unix::fs::chown(dir, Some(NOBODY.0), Some(NOBODY.1))
        .map_err(|e| format!("cannot hand {} to nobody: {e}", dir.display()))
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("cannot find a free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = format!("{cmd:?} failed ({})", out.status);
    for stream in [&out.stdout, &out.stderr] {
        let _ = write!(text, "\n{}", String::from_utf8_lossy(stream).trim());
    }
    Err(text)
}
