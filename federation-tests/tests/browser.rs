//! The web UI in a real browser: Debian's Chromium driven by `playwright-core` (npm, pinned in
//! `browser/package-lock.json`), across two running instances. The script
//! (`browser/e2e.mjs`) signs in, creates a group, previews and posts, asks to join and
//! approves, replies inline, sees the live notice of new posts, joins the group from the
//! second instance by its address, posts with the keyboard only, and runs axe-core on the main pages (no serious
//! violations), at desktop width and at 375 px. Screenshots of the main pages are saved under
//! cargo's target folder (`tmp/screenshots`), for review.
//!
//! Chromium comes from Debian (`browser/install-chromium.sh`, which `.ci/run` also calls);
//! the npm packages are installed by this test, once per lock file. A second scenario
//! (`browser/sso.mjs`) signs a person and a Mastodon app in through single sign-on at a real
//! OpenID provider.

use std::path::PathBuf;
use std::process::Command;

use federation_tests::{eventually, Cluster};

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// The script's folder with its packages installed (`npm ci`, once per lock file), and
/// Debian's Chromium.
fn installed_script() -> PathBuf {
    // The scenarios of this file run at once: one installs, the others wait (two `apt-get`s at
    // once fail on dpkg's lock).
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let source = browser_dir();
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = federation_tests::npm_folder(
        &source,
        &["e2e.mjs", "sso.mjs"],
        &cache,
        "browser",
        &["node_modules/playwright-core", "node_modules/axe-core"],
    );
    if !PathBuf::from("/usr/bin/chromium").exists() {
        let status = Command::new(source.join("install-chromium.sh")).status().expect("run install-chromium.sh");
        assert!(status.success(), "Debian's chromium is needed: run federation-tests/browser/install-chromium.sh as root");
    }
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn people_use_the_web_ui_across_two_instances_in_chromium() {
    let dir = tokio::task::spawn_blocking(installed_script).await.expect("install");
    let cluster = Cluster::start(&["gemeente-a", "gemeente-b"]).await;
    let (a, b) = (cluster.node("gemeente-a"), cluster.node("gemeente-b"));
    a.person("anna").await;
    a.person("bob").await;
    b.person("carla").await;
    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let files = tempfile::tempdir().expect("temp dir");
    let image = files.path().join("bouwplaats.jpg");
    std::fs::write(&image, gilde::testing::jpeg(960, 640, None)).expect("write image");
    let pdf = files.path().join("nota.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n").expect("write pdf");
    let output = tokio::process::Command::new("node")
        .arg("e2e.mjs")
        .current_dir(&dir)
        .env("GILDE_A", &a.base)
        .env("GILDE_B", &b.base)
        .env("GILDE_A_DOMAIN", &a.domain)
        .env("PASSWORD", "correct horse battery")
        .env("SCREENSHOTS", &screenshots)
        .env("IMAGE_FILE", &image)
        .env("PDF_FILE", &pdf)
        .output()
        .await
        .expect("node runs the browser script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the browser script failed:\n{stdout}\n{stderr}");
    println!("{stdout}\nscreenshots: {}", screenshots.display());

    // What the clicks did, as the databases see it: bob's reply and carla's post (written at
    // B) are stored at A, and the post at A reached B.
    assert_eq!(a.stored_posts_containing("Ik lees hem vandaag").await, 1);
    eventually("carla's post from B is stored at A", || async { a.stored_posts_containing("Groeten uit gemeente B").await == 1 }).await;
    assert_eq!(b.stored_posts_containing("handreiking").await, 1, "the history reached B once");
    assert_eq!(a.stored_posts_containing("De foto van het bezoek").await, 1);
    for shot in ["01-sign-in", "03-group", "05-thread", "07-remote-group-on-b", "13-group-375px", "15-post-with-files"] {
        let file = screenshots.join(format!("{shot}.png"));
        assert!(std::fs::metadata(&file).is_ok_and(|m| m.len() > 1000), "screenshot {}", file.display());
    }
}

/// Single sign-on in Chromium: a person signs in through a real OpenID provider (password
/// sign-in off), and a Mastodon app signs in through the same button; the app's code is then
/// exchanged here and the token speaks for the person the provider signed in.
#[tokio::test(flavor = "multi_thread")]
async fn people_and_apps_sign_in_through_single_sign_on_in_chromium() {
    let dir = tokio::task::spawn_blocking(installed_script).await.expect("install");
    let issuer = federation_tests::sso::provider(env!("CARGO_TARGET_TMPDIR")).issuer.clone();
    let cluster = Cluster::start_with(&["gemeente-a"], |_, config| {
        let client = format!("browser-{}", config.domain.replace(':', "-"));
        config.sso = Some(federation_tests::sso::settings(&issuer, &client, &["gemeente-a.nl"], &["gilde-users"]));
        config.password_sign_in = false;
    })
    .await;
    let a = cluster.node("gemeente-a");
    federation_tests::sso::register(a).await;
    let app = a.register_app("Ivory", "urn:ietf:wg:oauth:2.0:oob").await;
    let client_id = &app.0;
    let authorize = format!(
        "{}/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read+write",
        a.base
    );
    let screenshots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let output = tokio::process::Command::new("node")
        .arg("sso.mjs")
        .current_dir(&dir)
        .env("GILDE", &a.base)
        .env("AUTHORIZE", &authorize)
        .env("SCREENSHOTS", &screenshots)
        .output()
        .await
        .expect("node runs the browser script");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the browser script failed:\n{stdout}\n{stderr}");
    let result: serde_json::Value = serde_json::from_str(stdout.trim().lines().last().unwrap_or("")).expect("the script's result");
    let code = result["code"].as_str().expect("code");
    let token = a.exchange_code(&app, code, "urn:ietf:wg:oauth:2.0:oob", None).await;
    let (status, me) = a.get("/api/v1/accounts/verify_credentials", &token).await;
    assert_eq!((status, me["username"].as_str(), me["display_name"].as_str()), (200, Some("bram"), Some("Bram Jansen")));
}
