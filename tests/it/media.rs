//! Attachments over the Mastodon API: uploading images and documents, posting them, fetching
//! the files under the post's rules, and refusing bad files without keeping anything.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::common::{assert_error, Server};
use crate::openapi::assert_shape;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// Uploads a file through `/api/v2/media`, as apps do.
async fn upload(s: &Server, token: &str, bytes: Vec<u8>, name: &str, description: Option<&str>) -> (u16, Value) {
    let mut form =
        Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()).mime_str("application/octet-stream").expect("mime"));
    if let Some(d) = description {
        form = form.text("description", d.to_string());
    }
    let res = s.http.post(format!("{}/api/v2/media", s.base)).bearer_auth(token).multipart(form).send().await.expect("upload");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Fetches a file's address with a token (or none): status, headers, body.
async fn fetch(s: &Server, url: &str, token: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = s.http.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("fetch");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.expect("body").to_vec())
}

/// Files in the instance's storage folder.
fn stored_files(s: &Server) -> usize {
    crate::common::count_files(&s.instance.ctx.config.data_dir.join("media"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_and_a_pdf_are_uploaded_posted_and_read_back() {
    let s = Server::start().await;
    let (_, anna) = s.person("anna").await;
    let photo = gilde::testing::jpeg(800, 400, Some(gilde::testing::exif_with_orientation_and_gps(6)));
    let (status, image) = upload(&s, &anna, photo, "bouwplaats.jpg", Some("De bouwplaats aan de Kade")).await;
    assert_eq!(status, 200, "{image}");
    assert_shape("MediaAttachment", &image);
    assert_eq!(image["type"], "image");
    assert_eq!(image["description"], "De bouwplaats aan de Kade");
    assert_eq!(image["meta"]["original"]["width"], 400, "turned upright: {image}");
    assert_eq!(image["meta"]["original"]["height"], 800);
    assert!(image["meta"]["small"]["width"].as_i64().is_some_and(|w| w <= 640), "{image}");
    assert!(image["blurhash"].as_str().is_some_and(|b| b.len() > 6));
    let (status, pdf) = upload(&s, &anna, PDF.to_vec(), "Beleidsnota wonen.pdf", None).await;
    assert_eq!(status, 200, "{pdf}");
    assert_shape("MediaAttachment", &pdf);
    assert_eq!(pdf["type"], "unknown", "documents are shown by apps as files");
    assert_eq!(pdf["description"], "Beleidsnota wonen.pdf", "a document is described by its name");
    assert!(pdf["url"].as_str().is_some_and(|u| u.ends_with("/Beleidsnota%20wonen.pdf")), "{pdf}");
    assert!(pdf["preview_url"].is_null());

    // Alt text can be changed before posting.
    let (status, changed) = s
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/media/{}", image["id"].as_str().expect("id")),
            Some(&anna),
            Some(json!({ "description": "Bouwplaats", "focus": "0.5,-0.25" })),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["description"], "Bouwplaats");
    assert_eq!(changed["meta"]["focus"]["x"], 0.5);

    let (status, post) =
        s.post("/api/v1/statuses", &anna, json!({ "status": "Foto en nota", "media_ids": [image["id"], pdf["id"]] })).await;
    assert_eq!(status, 200, "{post}");
    assert_shape("Status", &post);
    let attached = post["media_attachments"].as_array().expect("attachments");
    assert_eq!(attached.len(), 2);
    assert_eq!(attached[0]["id"], image["id"], "in the order given");
    assert_eq!(attached[1]["type"], "unknown");
    let (_, read) = s.get(&format!("/api/v1/statuses/{}", post["id"].as_str().expect("id")), &anna).await;
    assert_eq!(read["media_attachments"], post["media_attachments"]);

    // The image as stored: JPEG, upright, without EXIF; sent so no browser runs it.
    let (status, headers, bytes) = fetch(&s, attached[0]["url"].as_str().expect("url"), None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-security-policy"].to_str().expect("csp").contains("sandbox"));
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "no EXIF (nor GPS) is served");
    let (status, headers, _) = fetch(&s, attached[0]["preview_url"].as_str().expect("preview"), None).await;
    assert_eq!((status, headers["content-type"].to_str().expect("type")), (200, "image/jpeg"));
    let (status, headers, bytes) = fetch(&s, attached[1]["url"].as_str().expect("url"), None).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, PDF);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(headers["content-disposition"].to_str().expect("disposition").starts_with("attachment;"), "documents are downloads");

    // Editing keeps only the files named; the one left out is removed with its files.
    let before = stored_files(&s);
    let (status, edited) = s
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/statuses/{}", post["id"].as_str().expect("id")),
            Some(&anna),
            Some(json!({ "status": "Alleen de nota", "media_ids": [pdf["id"]] })),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["media_attachments"].as_array().map(Vec::len), Some(1));
    assert_eq!(stored_files(&s), before - 2, "the image and its preview are gone");
    assert_eq!(fetch(&s, attached[0]["url"].as_str().expect("url"), Some(&anna)).await.0, 404);
    // Deleting the post removes its files.
    let (status, _) =
        s.call(reqwest::Method::DELETE, &format!("/api/v1/statuses/{}", post["id"].as_str().expect("id")), Some(&anna), None).await;
    assert_eq!(status, 200);
    assert_eq!(stored_files(&s), 0, "no file outlives its post");
    assert_eq!(fetch(&s, attached[1]["url"].as_str().expect("url"), Some(&anna)).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_instance_advertises_its_limits_and_types() {
    let s = Server::start().await;
    let (_, anna) = s.person("anna").await;
    for path in ["/api/v1/instance", "/api/v2/instance"] {
        let (_, instance) = s.get(path, &anna).await;
        let config = &instance["configuration"];
        assert_eq!(config["statuses"]["max_media_attachments"], 4, "{path}");
        assert_eq!(config["media_attachments"]["image_size_limit"], 16 * 1024 * 1024);
        assert_eq!(config["media_attachments"]["document_size_limit"], 40 * 1024 * 1024);
        let types = config["media_attachments"]["supported_mime_types"].as_array().expect("types");
        for t in ["image/jpeg", "image/png", "application/pdf", "application/vnd.oasis.opendocument.text"] {
            assert!(types.iter().any(|v| v == t), "{t} in {path}");
        }
        assert!(!types.iter().any(|v| v == "image/svg+xml"), "never SVG");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_files_are_refused_and_nothing_is_kept() {
    let s = Server::start_with(|c| c.media.document_max_bytes = 200_000).await;
    let (_, anna) = s.person("anna").await;
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    assert_error(&upload(&s, &anna, svg, "logo.png", None).await, 422, "unsupported_file_type");
    let html = b"<!doctype html><script>alert(1)</script>".to_vec();
    assert_error(&upload(&s, &anna, html, "nota.pdf", None).await, 422, "unsupported_file_type");
    let mut broken = gilde::testing::jpeg(200, 200, None);
    broken.truncate(broken.len() / 2);
    assert_error(&upload(&s, &anna, broken, "foto.jpg", None).await, 422, "unreadable_image");
    assert_error(&upload(&s, &anna, gilde::testing::huge_png(50_000, 50_000), "groot.png", None).await, 422, "image_too_large");
    assert_error(&upload(&s, &anna, gilde::testing::zip_bomb_docx(), "nota.docx", None).await, 422, "suspicious_document");
    let mut big_pdf = PDF.to_vec();
    big_pdf.resize(300_000, b' ');
    assert_error(&upload(&s, &anna, big_pdf, "groot.pdf", None).await, 413, "file_too_large");
    assert_error(&upload(&s, &anna, Vec::new(), "leeg.pdf", None).await, 422, "empty_file");
    // No file field at all.
    let res = s
        .http
        .post(format!("{}/api/v2/media", s.base))
        .bearer_auth(&anna)
        .multipart(Form::new().text("description", "x"))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 422);
    // A body larger than any file may be is cut off.
    let huge = vec![0u8; 41 * 1024 * 1024 + 200_000];
    let res = s
        .http
        .post(format!("{}/api/v2/media", s.base))
        .bearer_auth(&anna)
        .multipart(Form::new().part("file", Part::bytes(huge).file_name("x.pdf")))
        .send()
        .await;
    if let Ok(res) = res {
        assert_eq!(res.status().as_u16(), 413);
    }
    assert_eq!(stored_files(&s), 0, "nothing refused is kept");
    let honest = gilde::testing::small_docx();
    let (status, doc) = upload(&s, &anna, honest, "nota.docx", None).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["meta"]["mime_type"], "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
}

#[tokio::test(flavor = "multi_thread")]
async fn posts_take_only_their_authors_files_and_at_most_four() {
    let s = Server::start().await;
    let (_, anna) = s.person("anna").await;
    let (_, bob) = s.person("bob").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let (status, m) = upload(&s, &anna, gilde::testing::jpeg(16, 16, None), &format!("{i}.jpg"), None).await;
        assert_eq!(status, 200);
        ids.push(m["id"].clone());
    }
    assert_error(&s.post("/api/v1/statuses", &anna, json!({ "status": "vijf", "media_ids": ids })).await, 422, "too_many_attachments");
    assert_error(
        &s.post("/api/v1/statuses", &bob, json!({ "status": "niet van mij", "media_ids": [ids[0]] })).await,
        422,
        "media_not_found",
    );
    assert_error(&s.get(&format!("/api/v1/media/{}", ids[0].as_str().expect("id")), &bob).await, 404, "media_not_found");
    // A post of files only needs no text; a file is attached once.
    let (status, post) = s.post_form("/api/v1/statuses", &anna, &[("media_ids[]", ids[0].as_str().expect("id"))]).await;
    assert_eq!(status, 200, "{post}");
    assert_error(&s.post("/api/v1/statuses", &anna, json!({ "status": "weer", "media_ids": [ids[0]] })).await, 422, "media_not_found");
    // An upload not posted can be removed by its owner (not one in a post).
    let (status, _) = s.call(reqwest::Method::DELETE, &format!("/api/v1/media/{}", ids[3].as_str().expect("id")), Some(&bob), None).await;
    assert_eq!(status, 404, "not bob's");
    let (status, _) = s.call(reqwest::Method::DELETE, &format!("/api/v1/media/{}", ids[3].as_str().expect("id")), Some(&anna), None).await;
    assert_eq!(status, 200);
    assert_error(&s.get(&format!("/api/v1/media/{}", ids[3].as_str().expect("id")), &anna).await, 404, "media_not_found");
    assert_error(
        &s.call(reqwest::Method::DELETE, &format!("/api/v1/media/{}", ids[0].as_str().expect("id")), Some(&anna), None).await,
        422,
        "media_in_use",
    );
    // An upload never posted is its owner's only, and is removed after a day.
    let (_, unposted) = s.get(&format!("/api/v1/media/{}", ids[4].as_str().expect("id")), &anna).await;
    let url = unposted["url"].as_str().expect("url").to_string();
    assert_eq!(fetch(&s, &url, Some(&anna)).await.0, 200);
    assert_eq!(fetch(&s, &url, Some(&bob)).await.0, 404);
    assert_eq!(fetch(&s, &url, None).await.0, 404);
    let ctx = &s.instance.ctx;
    assert_eq!(gilde::service::media::remove_unattached(ctx).await.expect("sweep"), 0, "not yet a day old");
    assert_eq!(gilde::service::media::remove_unattached_older_than(ctx, chrono::TimeDelta::zero()).await.expect("sweep"), 3);
    assert_eq!(fetch(&s, &url, Some(&anna)).await.0, 404);
    assert_eq!(stored_files(&s), 2, "only the posted image and its preview are left");
}

#[tokio::test(flavor = "multi_thread")]
async fn files_of_private_groups_reach_members_only() {
    let s = Server::start().await;
    let (_, owner) = s.person("owner").await;
    let (_, outsider) = s.person("outsider").await;
    let (_, open) = s.post("/api/v1/groups", &owner, json!({ "name": "open", "display_name": "Open", "scope": "federated" })).await;
    let (_, closed) = s.post("/api/v1/groups", &owner, json!({ "name": "dicht", "display_name": "Dicht", "visibility": "private" })).await;
    let mut urls = Vec::new();
    for group in [&open, &closed] {
        let (_, m) = upload(&s, &owner, gilde::testing::jpeg(32, 32, None), "foto.jpg", None).await;
        let (status, post) =
            s.post("/api/v1/statuses", &owner, json!({ "status": "Foto", "group_id": group["id"], "media_ids": [m["id"]] })).await;
        assert_eq!(status, 200, "{post}");
        urls.push(post["media_attachments"][0]["url"].as_str().expect("url").to_string());
    }
    let (status, headers, _) = fetch(&s, &urls[0], None).await;
    assert_eq!(status, 200, "a public federated group's files are public");
    assert!(headers["cache-control"].to_str().expect("cache").starts_with("public"));
    let (status, headers, _) = fetch(&s, &urls[1], Some(&owner)).await;
    assert_eq!(status, 200, "a member sees the private group's file");
    assert!(headers["cache-control"].to_str().expect("cache").starts_with("private"), "never in shared caches");
    assert_eq!(fetch(&s, &urls[1], Some(&outsider)).await.0, 404, "not a member");
    assert_eq!(fetch(&s, &urls[1], None).await.0, 404, "anonymous");
}

#[tokio::test(flavor = "multi_thread")]
async fn people_set_their_picture_with_a_multipart_profile_update() {
    let s = Server::start().await;
    let (_, anna) = s.person("anna").await;
    let photo = gilde::testing::jpeg(300, 300, None);
    let form = Form::new()
        .text("display_name", "Anna de Vries")
        .part("avatar", Part::bytes(photo).file_name("anna.jpg").mime_str("image/jpeg").expect("mime"));
    let res = s
        .http
        .patch(format!("{}/api/v1/accounts/update_credentials", s.base))
        .bearer_auth(&anna)
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 200);
    let account: Value = res.json().await.expect("json");
    assert_eq!(account["display_name"], "Anna de Vries", "text fields of a multipart body count too");
    let avatar = account["avatar"].as_str().expect("avatar").to_string();
    assert!(avatar.contains("/files/"), "{avatar}");
    let (status, headers, _) = fetch(&s, &avatar, None).await;
    assert_eq!((status, headers["content-type"].to_str().expect("type")), (200, "image/jpeg"), "pictures are public");
    // A new picture replaces the old one, whose file is removed.
    let form = Form::new().part("avatar", Part::bytes(gilde::testing::jpeg(64, 64, None)).file_name("nieuw.jpg"));
    let res = s
        .http
        .patch(format!("{}/api/v1/accounts/update_credentials", s.base))
        .bearer_auth(&anna)
        .multipart(form)
        .send()
        .await
        .expect("send");
    let account: Value = res.json().await.expect("json");
    assert_ne!(account["avatar"].as_str(), Some(avatar.as_str()));
    assert_eq!(fetch(&s, &avatar, None).await.0, 404);
    assert_eq!(stored_files(&s), 2, "one picture and its preview");
    // A document is no picture.
    let form = Form::new().part("avatar", Part::bytes(PDF.to_vec()).file_name("cv.pdf"));
    let res = s
        .http
        .patch(format!("{}/api/v1/accounts/update_credentials", s.base))
        .bearer_auth(&anna)
        .multipart(form)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status().as_u16(), 422);
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_documents_by_name_and_text_for_those_who_may_see_them() {
    let s = Server::start().await;
    let (_, owner) = s.person("owner").await;
    let (_, outsider) = s.person("outsider").await;
    let (_, closed) = s.post("/api/v1/groups", &owner, json!({ "name": "dicht", "display_name": "Dicht", "visibility": "private" })).await;
    let files = [
        (gilde::testing::pdf_with_text("Omgevingsvisie Kadegebied 2040"), "visie.pdf"),
        (gilde::testing::small_docx(), "nota.docx"),
        (gilde::testing::small_odt("Verslag werkbezoek Zuiderhaven"), "verslag.odt"),
        (PDF.to_vec(), "Bestemmingsplan Noordkwartier.pdf"),
    ];
    let mut ids = Vec::new();
    for (bytes, name) in files {
        let (status, m) = upload(&s, &owner, bytes, name, None).await;
        assert_eq!(status, 200, "{name}: {m}");
        ids.push(m["id"].clone());
    }
    let (status, post) =
        s.post("/api/v1/statuses", &owner, json!({ "status": "De stukken", "group_id": closed["id"], "media_ids": ids })).await;
    assert_eq!(status, 200, "{post}");
    let found = |token: String, q: &'static str| {
        let s = &s;
        async move {
            let (_, r) = s.get(&format!("/api/v2/search?type=statuses&q={q}"), &token).await;
            r["statuses"].as_array().map(Vec::len).unwrap_or(0)
        }
    };
    for q in ["kadegebied", "beleidsnota", "zuiderhaven", "noordkwartier"] {
        assert_eq!(found(owner.clone(), q).await, 1, "the member finds the post by {q}");
        assert_eq!(found(outsider.clone(), q).await, 0, "an outsider does not find {q}");
    }
    // Removing the files from the post takes their words out of search.
    let (status, _) = s
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/statuses/{}", post["id"].as_str().expect("id")),
            Some(&owner),
            Some(json!({ "status": "De stukken", "media_ids": [] })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(found(owner.clone(), "kadegebied").await, 0);
}

/// A moto S3 server (from PyPI) on a free port, stopped when dropped.
struct S3Server {
    endpoint: String,
    _child: tokio::process::Child,
}

async fn moto() -> S3Server {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("moto-5.2.5");
    let python = tokio::task::spawn_blocking(move || gilde::testing::python_with(&dir, "moto[server]==5.2.5", "moto.server"))
        .await
        .expect("install moto");
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let child = tokio::process::Command::new(python)
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start moto");
    let endpoint = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if reqwest::get(&endpoint).await.is_ok() {
            return S3Server { endpoint, _child: child };
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("moto did not start on {endpoint}");
}

#[tokio::test(flavor = "multi_thread")]
async fn files_can_be_kept_in_an_s3_bucket() {
    let s3 = moto().await;
    let settings = gilde::media::storage::S3Settings {
        endpoint: url::Url::parse(&s3.endpoint).expect("url"),
        bucket: "gilde-test".into(),
        region: "us-east-1".into(),
        access_key: "test".into(),
        secret_key: "test".into(),
    };
    let s = Server::start_with(|c| c.media_s3 = Some(settings.clone())).await;
    let storage = s.instance.ctx.storage.clone();
    storage.create_bucket().await.expect("bucket");
    let (_, anna) = s.person("anna").await;
    let (status, photo) = upload(&s, &anna, gilde::testing::jpeg(300, 200, None), "kade.jpg", None).await;
    assert_eq!(status, 200, "{photo}");
    let (status, post) = s.post("/api/v1/statuses", &anna, json!({ "status": "In de bucket", "media_ids": [photo["id"]] })).await;
    assert_eq!(status, 200, "{post}");
    let (status, headers, bytes) = fetch(&s, post["media_attachments"][0]["url"].as_str().expect("url"), None).await;
    assert_eq!((status, headers["content-type"].to_str().expect("type")), (200, "image/jpeg"));
    assert!(image_size(&bytes) == (300, 200), "the stored photo comes back");
    assert_eq!(stored_files(&s), 0, "nothing in the data folder");
    let id = gilde::db::MediaId(photo["id"].as_str().expect("id").parse().expect("number"));
    let row = s
        .instance
        .ctx
        .db
        .read(move |conn| -> gilde::Result<_> { Ok(gilde::db::media::find(conn, id)?) })
        .await
        .expect("read")
        .expect("row");
    let (original, preview) = (row.file_key.expect("key"), row.preview_key.expect("preview"));
    assert!(storage.exists(&original).await && storage.exists(&preview).await, "both objects are in the bucket");
    // Deleting the post removes its objects.
    let (status, _) =
        s.call(reqwest::Method::DELETE, &format!("/api/v1/statuses/{}", post["id"].as_str().expect("id")), Some(&anna), None).await;
    assert_eq!(status, 200);
    assert!(!storage.exists(&original).await && !storage.exists(&preview).await, "the objects are gone");
}

fn image_size(bytes: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory(bytes).expect("an image");
    (img.width(), img.height())
}
