//! The `gilde` command as an admin uses it.

use std::io::Write;
use std::process::{Command, Stdio};

use gilde::db::testing::TestDatabase;

fn gilde(db: &TestDatabase, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let url = match &db.url {
        gilde::config::DatabaseUrl::Sqlite(path) => path.display().to_string(),
        gilde::config::DatabaseUrl::Postgres(url) => url.clone(),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_gilde"))
        .args(args)
        .current_dir(db.dir())
        .env("DATABASE_URL", url)
        .env("GILDE_DATA_DIR", db.dir())
        .env("GILDE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run gilde");
    if let Some(text) = stdin {
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn admin_commands_create_list_token_and_group() {
    let db = TestDatabase::new();
    let (code, out, err) = gilde(&db, &["migrate"], None);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = gilde(&db, &["admin", "user", "create", "anna", "--admin", "--password-stdin"], Some("a good long password\n"));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Created anna (admin)"), "{out}");
    let (code, out, _) = gilde(&db, &["admin", "user", "create", "bob"], None);
    assert_eq!(code, 0);
    assert!(out.contains("password: "), "a generated password is printed: {out}");
    let (code, _, err) = gilde(&db, &["admin", "user", "create", "anna", "--password-stdin"], Some("another password\n"));
    assert_eq!(code, 1);
    assert!(err.contains("already taken"), "{err}");
    let (_, out, _) = gilde(&db, &["admin", "user", "list"], None);
    assert!(out.lines().any(|l| l.contains("anna") && l.contains("yes")) && out.contains("bob"), "{out}");
    let (code, token, _) = gilde(&db, &["admin", "token", "anna"], None);
    assert_eq!(code, 0);
    assert!(token.trim().len() >= 40, "{token}");
    let (code, out, err) =
        gilde(&db, &["admin", "group", "create", "wonen", "--owner", "anna", "--visibility", "private", "--scope", "federated"], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("federated private"), "{out}");
    let (code, _, err) = gilde(&db, &["admin", "group", "create", "x", "--owner", "anna", "--visibility", "open"], None);
    assert_eq!(code, 1);
    assert!(err.contains("visibility must be one of"), "{err}");
    let (code, _, err) = gilde(&db, &["admin", "token", "nobody"], None);
    assert_eq!(code, 1);
    assert!(err.contains("no person named"), "{err}");
}

#[test]
fn an_invalid_setting_is_one_clear_line_and_exit_status_2() {
    let db = TestDatabase::new();
    let out = Command::new(env!("CARGO_BIN_EXE_gilde"))
        .arg("migrate")
        .current_dir(db.dir())
        .env("GILDE_MAX_POST_CHARS", "lots")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("GILDE_MAX_POST_CHARS"), "{err}");
}

#[test]
fn help_lists_the_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_gilde")).args(["admin", "--help"]).output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["user", "token", "group", "seed"] {
        assert!(text.contains(word), "{text}");
    }
}

/// Starts `gilde serve` on a free port and reads its output until it listens.
fn serve_until_listening(db: &TestDatabase) -> String {
    use std::io::{BufRead, BufReader};
    let url = match &db.url {
        gilde::config::DatabaseUrl::Sqlite(path) => path.display().to_string(),
        gilde::config::DatabaseUrl::Postgres(url) => url.clone(),
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_gilde"))
        .arg("serve")
        .current_dir(db.dir())
        .env("DATABASE_URL", url)
        .env("GILDE_BIND", "127.0.0.1:0")
        .env("GILDE_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run gilde serve");
    let mut seen = String::new();
    let reader = BufReader::new(child.stdout.take().expect("stdout"));
    for line in reader.lines() {
        let line = line.expect("line");
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("is listening on") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    seen
}

#[test]
fn the_first_start_creates_an_admin_and_says_so_once() {
    let db = TestDatabase::new();
    let first = serve_until_listening(&db);
    assert!(first.contains("name:     admin"), "{first}");
    let password = first.lines().find_map(|l| l.trim().strip_prefix("password: ")).expect("a password is printed").trim().to_string();
    assert!(password.len() >= 16, "{first}");
    let second = serve_until_listening(&db);
    assert!(second.contains("is listening on"), "{second}");
    assert!(!second.contains("password"), "the password is shown only once: {second}");
    // The printed password works.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let ctx = gilde::testing::context_for(&db);
        let actor = gilde::service::people::authenticate(&ctx, "admin", &password).await.expect("the printed password signs in");
        assert!(actor.is_admin);
    });
}

#[test]
fn a_backup_restores_into_a_working_instance() {
    let db = TestDatabase::new();
    assert_eq!(gilde(&db, &["migrate"], None).0, 0);
    assert_eq!(gilde(&db, &["admin", "user", "create", "anna", "--password-stdin"], Some("a good long password\n")).0, 0);
    let file = db.dir().join("media/ab/abc-original.jpg");
    std::fs::create_dir_all(file.parent().expect("folder")).expect("media folder");
    std::fs::write(&file, b"a photo").expect("file");
    let backups = db.dir().join("backups");
    let (code, out, err) = gilde(&db, &["admin", "backup", backups.to_str().expect("path")], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("files: 1 copied"), "{out}");
    let folder = std::fs::read_dir(&backups).expect("backups").flatten().next().expect("a backup folder").path();
    assert_eq!(std::fs::read(folder.join("media/ab/abc-original.jpg")).expect("the file"), b"a photo");
    if matches!(db.url, gilde::config::DatabaseUrl::Postgres(_)) {
        assert!(out.contains("pg_dump"), "PostgreSQL is backed up with its own tools: {out}");
        return;
    }
    // Restore: the backup's database and files as a new instance's data folder.
    let restored = tempfile::tempdir().expect("dir");
    std::fs::copy(folder.join("gilde.db"), restored.path().join("gilde.db")).expect("copy");
    let out = Command::new(env!("CARGO_BIN_EXE_gilde"))
        .args(["admin", "user", "list"])
        .env("DATABASE_URL", restored.path().join("gilde.db"))
        .env("GILDE_DATA_DIR", restored.path())
        .env("GILDE_LOG", "warn")
        .output()
        .expect("run gilde");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("anna"), "the restored database has anna");
}
