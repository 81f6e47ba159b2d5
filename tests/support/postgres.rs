//! A PostgreSQL server for the store tests, and a fresh database per test.
//!
//! `WAVEBUMP_TEST_POSTGRES_URL` (a server where the user may `CREATE
//! DATABASE`) wins; otherwise a throwaway cluster is started once per test
//! binary from the Debian server binaries (`/usr/lib/postgresql/*/bin`), as
//! the `postgres` user when running as root, on a random loopback port, in a
//! temporary directory; a watchdog stops it and removes the directory when
//! the test process exits. With neither, the tests FAIL (never skip).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

/// The admin URL of the server, started on first use.
fn server() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("WAVEBUMP_TEST_POSTGRES_URL")
            && !url.trim().is_empty()
        {
            return url;
        }
        match start_cluster() {
            Ok(url) => url,
            Err(e) => panic!(
                "PostgreSQL store tests need a server and none is available: {e}.\n\
                 Install the server with `apt-get install postgresql` (initdb and pg_ctl under \
                 /usr/lib/postgresql/*/bin), or set WAVEBUMP_TEST_POSTGRES_URL to a server \
                 where the user may CREATE DATABASE."
            ),
        }
    })
}

/// A new, empty database on the test server; its URL.
pub async fn fresh_database() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let admin = server().to_owned();
    let name = format!(
        "wavebump_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("connect to test PostgreSQL {admin}: {e}"));
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    let _ = conn.close().await;
    with_database(&admin, &name)
}

/// `admin` with its database replaced by `name`.
fn with_database(admin: &str, name: &str) -> String {
    let (scheme, rest) = admin.split_once("://").expect("postgres URL has ://");
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, format!("?{q}")),
        None => (rest, String::new()),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{authority}/{name}{query}")
}

fn bin_dir() -> Result<PathBuf, String> {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("/usr/lib/postgresql: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists() && b.join("pg_ctl").exists())
        .collect();
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found
        .pop()
        .ok_or_else(|| "no initdb/pg_ctl under /usr/lib/postgresql/*/bin".to_owned())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `program args...`, as `postgres` when root.
fn as_server_user(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn start_cluster() -> Result<String, String> {
    let bin = bin_dir()?;
    let root = is_root();
    let dir = tempfile::Builder::new()
        .prefix("wavebump-pg-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?
        .keep();
    if root {
        let mut chown = Command::new("chown");
        chown.arg("postgres:postgres").arg(&dir);
        run(
            chown,
            "chown postgres temp dir (is the `postgres` user there?)",
        )?;
    }
    let data = dir.join("data");
    let mut initdb = as_server_user(root, &bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
    run(initdb, "initdb")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("free port: {e}"))?
        .port();
    let pg_ctl = bin.join("pg_ctl");
    let mut start = as_server_user(root, &pg_ctl);
    start
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("log"))
        .arg("-o")
        .arg(format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c full_page_writes=off -c max_connections=300",
            dir.display()
        ))
        .args(["-w", "-t", "60", "start"]);
    run(start, "pg_ctl start")?;
    // Stop the cluster and remove its directory once this process is gone.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runuser} {pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        runuser = if root { "runuser -u postgres --" } else { "" },
        pg_ctl = pg_ctl.display(),
        data = data.display(),
        dir = dir.display(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(stop)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("watchdog: {e}"))?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}
