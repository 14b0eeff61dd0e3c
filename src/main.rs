//! The `gilde` command: serve an instance, migrate its database, administer it.

use std::io::Read;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use gilde::config::Config;
use gilde::context::AppContext;
use gilde::db::Db;
use gilde::service::groups::NewGroupInput;
use gilde::service::people::NewAccount;
use gilde::service::{self, Actor, Scope, Visibility};

#[derive(Parser)]
#[command(
    name = "gilde",
    version,
    about = "Gilde: groups that cross organisations.",
    long_about = "Gilde: groups that cross organisations.\n\nConfiguration comes from ./gilde.toml (or the file in GILDE_CONFIG) and GILDE_* environment variables; see docs/configuration.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (applies pending migrations first). On the first start, creates an admin.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Ask the running server (on this configuration's bind address) whether it is ready:
    /// exit status 0 if `/ready` answers 200, else 1. For container health checks.
    Health,
    /// Administer accounts, groups and tokens.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Manage local accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print a new API access token (scopes read, write, follow) for a person, for scripts.
    Token {
        /// The person's name.
        name: String,
    },
    /// Manage groups.
    Group {
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// Fill the database with generated people, groups and posts (for benchmarks).
    Seed(SeedArgs),
    /// Back up a running instance into a new folder under DIR: the SQLite database (an online,
    /// consistent copy) and the uploaded files. On PostgreSQL, the files only (use pg_dump).
    Backup {
        /// The folder to put the backup in (a new `gilde-backup-TIME` folder is made there).
        dir: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a local account. Without --password-stdin, a password is generated and printed.
    Create {
        /// The account's name (a-z, 0-9, _; at most 30).
        name: String,
        /// Make the account an instance admin.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
        /// The name people see.
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List local accounts.
    List,
    /// Delete a local account, with its posts and files (their deletion reaches other servers
    /// as any deletion does). The name stays taken.
    Delete { name: String },
}

#[derive(Subcommand)]
enum GroupCommand {
    /// Create a group owned by an existing person.
    Create {
        /// The group's handle (a-z, 0-9, _; at most 30).
        name: String,
        /// The owner's name.
        #[arg(long)]
        owner: String,
        /// The name people see (default: the handle).
        #[arg(long)]
        display_name: Option<String>,
        /// What the group is about.
        #[arg(long, default_value = "")]
        description: String,
        /// internal (stays on this instance) or federated.
        #[arg(long, default_value = "internal")]
        scope: String,
        /// public, private or secret.
        #[arg(long, default_value = "public")]
        visibility: String,
        /// Only moderators start threads.
        #[arg(long)]
        announcements: bool,
    },
}

#[derive(Args)]
struct SeedArgs {
    #[arg(long, default_value_t = 100)]
    people: u64,
    #[arg(long, default_value_t = 20)]
    groups: u64,
    #[arg(long, default_value_t = 10_000)]
    posts: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("gilde: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gilde: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gilde: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_target(false).init();
}

async fn connect(config: Config) -> Result<AppContext, String> {
    let database = config.database.clone();
    let pool_size = config.db_pool_size;
    let db = tokio::task::spawn_blocking(move || Db::connect(&database, pool_size))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("database {}: {e}", config.database.redacted()))?;
    Ok(AppContext::new(config, db))
}

fn show(e: gilde::Error) -> String {
    match e.cause() {
        Some(cause) if e.kind() == gilde::ErrorKind::Internal => format!("{} ({cause})", e.message()),
        _ => e.message().to_string(),
    }
}

async fn run(command: Command, config: Config) -> Result<(), String> {
    match command {
        Command::Serve => serve(config).await,
        Command::Health => health(&config).await,
        Command::Migrate => {
            let redacted = config.database.redacted();
            connect(config).await?;
            println!("Database {redacted} is up to date.");
            Ok(())
        }
        Command::Admin { command } => admin(command, connect(config).await?).await,
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let bind = config.bind;
    let ctx = connect(config).await?;
    if service::people::count_accounts(&ctx).await.map_err(show)? == 0 {
        let password = service::accounts::generated_password();
        service::people::create_account(
            &ctx,
            NewAccount { username: "admin".into(), password: password.clone(), display_name: Some("Administrator".into()), is_admin: true },
        )
        .await
        .map_err(show)?;
        println!("\nThis is a new instance: an admin account was created. This is shown only once.\n  name:     admin\n  password: {password}\nSign in with a Mastodon app at {}, or get a token for scripts with `gilde admin token admin`.\n", ctx.config.base_url());
    }
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| format!("cannot listen on {bind}: {e} (set GILDE_BIND)"))?;
    let instance = gilde::serve(ctx, listener).await.map_err(show)?;
    tracing::info!("Gilde is listening on http://{} (public address {})", instance.addr, instance.ctx.config.base_url());
    let grace = std::time::Duration::from_secs(instance.ctx.config.shutdown_grace_seconds);
    let mut instance = instance;
    tokio::select! {
        done = instance.ended() => return done.map_err(|e| e.to_string()),
        _ = stop_signal() => {}
    }
    // Requests and jobs in flight finish (new connections are refused, no new job starts);
    // after the grace time, the process exits anyway. Unfinished jobs are released.
    tracing::info!("stopping: finishing requests and jobs in flight");
    if !instance.stop_within(grace).await {
        tracing::warn!(seconds = grace.as_secs(), "requests or jobs still running after the grace time; exiting");
    }
    Ok(())
}

/// Asks `/ready` on the bind address (`0.0.0.0` and `::` mean this machine).
async fn health(config: &Config) -> Result<(), String> {
    let mut addr = config.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() { std::net::Ipv4Addr::LOCALHOST.into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    let url = format!("http://{addr}/ready");
    let client = reqwest13::Client::builder().timeout(std::time::Duration::from_secs(5)).build().map_err(|e| e.to_string())?;
    let response = client.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() {
        println!("ready");
        Ok(())
    } else {
        Err(format!("not ready ({status}): {}", body.trim()))
    }
}

/// SIGTERM (a container or service manager stopping Gilde) or SIGINT (Ctrl-C).
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn find_person(ctx: &AppContext, name: &str) -> Result<Actor, String> {
    let person = service::people::lookup(ctx, name).await.map_err(|_| format!("no person named {name:?}"))?;
    service::people::actor(ctx, person.person.id).await.map_err(show)
}

async fn admin(command: AdminCommand, ctx: AppContext) -> Result<(), String> {
    match command {
        AdminCommand::User { command: UserCommand::Create { name, admin, password_stdin, display_name } } => {
            let (password, generated) = if password_stdin {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read the password: {e}"))?;
                (text.lines().next().unwrap_or("").to_string(), false)
            } else {
                (service::accounts::generated_password(), true)
            };
            let person = service::people::create_account(
                &ctx,
                NewAccount { username: name, password: password.clone(), display_name, is_admin: admin },
            )
            .await
            .map_err(show)?;
            println!("Created {}{} (id {}).", person.username, if admin { " (admin)" } else { "" }, person.id);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        AdminCommand::User { command: UserCommand::List } => {
            let accounts = service::people::list_accounts(&ctx).await.map_err(show)?;
            println!("{:<6} {:<30} {:<6} display name", "id", "name", "admin");
            for (person, account) in accounts {
                println!(
                    "{:<6} {:<30} {:<6} {}",
                    person.id,
                    person.username,
                    if account.is_admin { "yes" } else { "" },
                    person.display_name
                );
            }
            Ok(())
        }
        AdminCommand::User { command: UserCommand::Delete { name } } => {
            let person = find_person(&ctx, &name).await?;
            // Whoever runs the command line administers the instance.
            service::deletion::erase_account(&ctx, person.person_id).await.map_err(show)?;
            println!("Deleted {name}, with its posts and files.");
            Ok(())
        }
        AdminCommand::Token { name } => {
            let actor = find_person(&ctx, &name).await?;
            let token = service::oauth::token_for_person(&ctx, actor.person_id).await.map_err(show)?;
            println!("{token}");
            Ok(())
        }
        AdminCommand::Group {
            command: GroupCommand::Create { name, owner, display_name, description, scope, visibility, announcements },
        } => {
            let owner = find_person(&ctx, &owner).await?;
            let input = NewGroupInput {
                display_name: display_name.unwrap_or_else(|| name.clone()),
                name,
                note: description,
                scope: Scope::parse(&scope).map_err(show)?,
                visibility: Visibility::parse(&visibility).map_err(show)?,
                announcements_only: announcements,
            };
            let group = service::groups::create(&ctx, &owner, input).await.map_err(show)?;
            println!("Created group {} (id {}, {} {}).", group.group.name, group.group.id, group.group.scope, group.group.visibility);
            Ok(())
        }
        AdminCommand::Backup { dir } => {
            let report = gilde::service::instance::backup(&ctx, &dir).await.map_err(show)?;
            println!("{report}");
            Ok(())
        }
        AdminCommand::Seed(args) => {
            let summary = gilde::db::seed::seed(&ctx.db, args.people, args.groups, args.posts).await.map_err(|e| e.to_string())?;
            println!("{summary}");
            Ok(())
        }
    }
}
