//! Real Mastodon client libraries against a running instance. The client is installed from PyPI
//! into a virtual environment under cargo's target folder on first use (pinned version).

use std::path::PathBuf;

use crate::common::{Server, PASSWORD};

const MASTODON_PY: &str = "Mastodon.py==2.3.3";

/// A Python with Mastodon.py, installed once.
fn python_with_mastodon_py() -> PathBuf {
    gilde::testing::python_with(&PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mastodon-py-2.3.3"), MASTODON_PY, "mastodon")
}

#[tokio::test(flavor = "multi_thread")]
async fn mastodon_py_registers_signs_in_posts_replies_and_reads_home() {
    let s = Server::start().await;
    s.person("anna").await;
    let python = tokio::task::spawn_blocking(python_with_mastodon_py).await.expect("install");
    let script = gilde::testing::manifest_dir().join("tests/clients/mastodon_py_flow.py");
    let out =
        tokio::process::Command::new(python).arg(script).arg(&s.base).arg("anna").arg(PASSWORD).output().await.expect("run Mastodon.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "Mastodon.py flow failed:\n{stdout}\n{stderr}");
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(result["ok"], true);
    // What the client did is really stored: read it back through the service layer.
    let ctx = &s.instance.ctx;
    let anna = gilde::service::people::lookup(ctx, "anna").await.expect("anna");
    assert_eq!(anna.posts_count, 2, "a post and a reply");
}

#[tokio::test(flavor = "multi_thread")]
async fn mastodon_py_finds_joins_reads_and_posts_in_groups_with_plain_mastodon_calls() {
    let s = Server::start().await;
    let (_, moderator) = s.person("owner").await;
    let (_, member) = s.person("anna").await;
    let (_, wonen) = s.post("/api/v1/groups", &moderator, serde_json::json!({ "name": "wonen", "display_name": "Wonen" })).await;
    s.post("/api/v1/groups", &moderator, serde_json::json!({ "name": "budget", "display_name": "Budget", "visibility": "private" })).await;
    s.post("/api/v1/statuses", &moderator, serde_json::json!({ "status": "Welkom in Wonen", "group_id": wonen["id"] })).await;

    let python = tokio::task::spawn_blocking(python_with_mastodon_py).await.expect("install");
    let script = gilde::testing::manifest_dir().join("tests/clients/mastodon_py_groups.py");
    let out = tokio::process::Command::new(python).arg(script).arg(&s.base).arg(&member).arg(&moderator).output().await.expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "Mastodon.py group flow failed:\n{stdout}\n{stderr}");
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(result["ok"], true);

    // What the app did landed in the group, as the groups extension shows it.
    let group_id = wonen["id"].as_str().expect("id");
    let (_, stream) = s.get(&format!("/api/v1/timelines/group/{group_id}"), &moderator).await;
    assert!(stream.as_array().is_some_and(|l| l.iter().any(|p| p["id"] == result["thread"])), "the mention started a thread: {stream}");
    let (_, reply) = s.get(&format!("/api/v1/statuses/{}", result["reply"].as_str().expect("id")), &moderator).await;
    assert_eq!(reply["group"]["id"], group_id, "the reply stays in the group");
}

#[tokio::test(flavor = "multi_thread")]
async fn mastodon_py_uploads_an_image_and_a_pdf_posts_them_and_reads_them_back() {
    let s = Server::start().await;
    let (_, anna) = s.person("anna").await;
    let files = tempfile::tempdir().expect("temp dir");
    let image = files.path().join("bouwplaats.jpg");
    std::fs::write(&image, gilde::testing::jpeg(1200, 800, Some(gilde::testing::exif_with_orientation_and_gps(1)))).expect("write");
    let pdf = files.path().join("nota.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n").expect("write");
    let python = tokio::task::spawn_blocking(python_with_mastodon_py).await.expect("install");
    let script = gilde::testing::manifest_dir().join("tests/clients/mastodon_py_media.py");
    let out = tokio::process::Command::new(python).arg(script).arg(&s.base).arg(&anna).arg(&image).arg(&pdf).output().await.expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "Mastodon.py media flow failed:\n{stdout}\n{stderr}");
    let result: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    assert_eq!(result["ok"], true);
    // What the app did is stored: the post keeps the PDF only, and the picture is served.
    let (_, post) = s.get(&format!("/api/v1/statuses/{}", result["post"].as_str().expect("id")), &anna).await;
    assert_eq!(post["media_attachments"].as_array().map(Vec::len), Some(1), "{post}");
    assert_eq!(post["media_attachments"][0]["type"], "unknown");
    let avatar = s.http.get(result["avatar"].as_str().expect("avatar")).send().await.expect("avatar");
    assert_eq!(avatar.status().as_u16(), 200);
}
