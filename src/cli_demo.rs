//! `wavebump demo`: argument handling and output around `demo::Demo`
//! (and `--generate DIR`, which only writes the organisation).
//!
//! Invariant: the transcript goes to stdout and depends only on the
//! options; anything that varies from run to run (paths, real time) is
//! printed apart: paths to stderr, real time on the last line. With
//! `--serve` the status page steers the demo; its login token goes to
//! stderr.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use crate::cli::DemoArgs;
use crate::config::secret::{OperatorToken, Secret};
use crate::demo::{self, Demo, DemoOptions, GenerateOptions, Layout};
use crate::status::status_router;

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(code)
}

pub fn run(args: &DemoArgs) -> ExitCode {
    let scratch = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return fail(1, format!("cannot create a temporary directory: {e}")),
    };
    if let Err(e) = crate::git::isolate_global_config(scratch.path()) {
        return fail(1, e);
    }
    let generate = GenerateOptions {
        repos: args.repos,
        seed: args.seed,
    };
    if let Some(dir) = &args.generate {
        return generate_only(dir, &generate);
    }
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return fail(
            2,
            format!(
                "--speed {}: expected a positive number of simulated seconds per real second, e.g. 1000",
                args.speed
            ),
        );
    }
    let (dir, _temporary) = match &args.dir {
        Some(d) => {
            if d.exists() && std::fs::read_dir(d).map_or(true, |mut e| e.next().is_some()) {
                return fail(
                    2,
                    format!("--dir {}: expected an empty or new directory", d.display()),
                );
            }
            (d.clone(), None)
        }
        None => match tempfile::tempdir() {
            Ok(t) => (t.path().to_path_buf(), Some(t)),
            Err(e) => return fail(1, format!("cannot create a temporary directory: {e}")),
        },
    };
    let options = DemoOptions {
        generate,
        speed: Some(args.speed),
        ..DemoOptions::default()
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(1, format!("cannot start the runtime: {e}")),
    };
    rt.block_on(run_demo(&dir, args, options, args.dir.is_some()))
}

async fn run_demo(dir: &Path, args: &DemoArgs, options: DemoOptions, keep: bool) -> ExitCode {
    let started = Instant::now();
    eprintln!(
        "wavebump demo: {} repositories (seed {}) in {}",
        args.repos,
        args.seed,
        dir.display()
    );
    let mut out = std::io::stdout();
    let demo = match Demo::setup(dir, options, &mut out).await {
        Ok(d) => d,
        Err(e) => return fail(1, e),
    };
    let server = match args.serve {
        Some(addr) => match serve_status(addr, &demo).await {
            Ok(s) => Some(s),
            Err(e) => return fail(1, e),
        },
        None => None,
    };
    let outcome = match demo.run(&mut out).await {
        Ok(o) => o,
        Err(e) => return fail(1, e),
    };
    println!(
        "  real time: {:.1} s for {} of simulated time (--speed {})",
        started.elapsed().as_secs_f64(),
        demo::format_duration(outcome.summary.simulated),
        args.speed
    );
    if keep {
        println!(
            "  kept in {}: bare repositories, .wavebump/pulls.json (PR records), wavebump.db (the rollout)",
            dir.display()
        );
    }
    if let Some((addr, task)) = server {
        eprintln!("the status page stays at http://{addr}/ until Ctrl-C");
        let _ = tokio::signal::ctrl_c().await;
        task.abort();
    }
    demo.store().close().await;
    ExitCode::SUCCESS
}

/// Why the demo's status page could not be served.
#[derive(Debug, thiserror::Error)]
enum ServeStatusError {
    #[error("cannot draw a login token from the operating system's generator")]
    NoToken,
    #[error("--serve {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Serve the status page over the demo on `addr`: it follows the run live
/// and steers it (log in with the token printed here, a fresh one per run;
/// the scripted operator steps aside at the first action).
async fn serve_status(
    addr: std::net::SocketAddr,
    demo: &Demo,
) -> Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>), ServeStatusError> {
    let token = crate::status::session::random_token().ok_or(ServeStatusError::NoToken)?;
    let state = demo.status_state(vec![OperatorToken {
        name: demo::PAGE_OPERATOR.to_owned(),
        token: Secret::new(token.clone()),
    }]);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeStatusError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| ServeStatusError::Bind { addr, source })?;
    let rollout = demo.rollout_id();
    let app = status_router(state);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("status page: {e}");
        }
    });
    eprintln!("status page: http://{local}/rollouts/{rollout}");
    eprintln!(
        "  to steer the demo (pause, resume, advance, abort, retry, skip), log in at http://{local}/login as {} with the token\n    {token}\n  the scripted operator steps aside at your first action: from then on halts wait for you",
        demo::PAGE_OPERATOR
    );
    Ok((local, task))
}

fn generate_only(dir: &Path, opts: &GenerateOptions) -> ExitCode {
    // Bare `NAME.git` repositories: what the local forge pushes to, so
    // `rollout ... --local DIR` accepts the directory as it is.
    match demo::generate_with(dir, opts, Layout::Bare) {
        Ok(specs) => {
            let dir = dir.display();
            println!(
                "wrote {} bare repositories to {dir}; plan them with:\n  wavebump plan --config config.example.yaml --local {dir}\nroll out with:\n  wavebump rollout start --config config.example.yaml --local {dir}",
                specs.len(),
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, e),
    }
}
