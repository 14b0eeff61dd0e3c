//! The OAuth sign-in page Mastodon apps open (`/oauth/authorize`), in the web UI's look and
//! the person's language. The OAuth rules stay in `service::oauth` and `http::oauth`.

use askama::Template;
use axum::http::header::CONTENT_SECURITY_POLICY;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::i18n::Lang;
use super::{render_with, Chrome};
use crate::context::AppContext;
use crate::error::Error;

/// How the person approves the app.
pub enum SignIn {
    /// Signed in to the web UI already: one button (the form carries the session's token).
    Session { name: String, csrf: String },
    /// A name and password, a single sign-on button, or both (`sso` is the button's target).
    Credentials { password: bool, sso: Option<(String, String)> },
}

/// What the page is showing.
pub enum Shown<'a> {
    /// The sign-in form: the app's name, the scopes asked, the hidden OAuth fields, and the
    /// sign-in error, if any.
    Form { app: &'a str, scopes: &'a str, hidden: Vec<(&'static str, String)>, error: Option<&'a Error>, way: SignIn },
    /// The code to copy into the app (for `urn:ietf:wg:oauth:2.0:oob`).
    Code(&'a str),
    /// Why the app cannot sign in.
    Refused(&'a Error),
}

#[derive(Template)]
#[template(path = "authorize.html")]
struct AuthorizePage {
    chrome: Chrome,
    app: String,
    scopes: String,
    hidden: Vec<(&'static str, String)>,
    error: Option<String>,
    code: Option<String>,
    refused: Option<String>,
    /// Signed in as (name), with the session's form token.
    session: Option<(String, String)>,
    password: bool,
    /// The single sign-on button: (text, address).
    sso: Option<(String, String)>,
}

/// The language: the app's `lang` parameter, else the browser's.
pub fn lang(param: Option<&str>, headers: &HeaderMap) -> Lang {
    Lang::choose(param, headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

/// Renders the page. `redirect_uri` is where the form's answer goes (allowed by the page's
/// Content-Security-Policy, as browsers apply `form-action` to that redirect too).
pub fn page(ctx: &AppContext, lang: Lang, status: StatusCode, shown: Shown<'_>, redirect_uri: &str) -> Response {
    let chrome = Chrome { lang, instance: ctx.config.instance_name.clone(), me: None, csrf: String::new(), section: "" };
    let mut page = AuthorizePage {
        chrome,
        app: String::new(),
        scopes: String::new(),
        hidden: Vec::new(),
        error: None,
        code: None,
        refused: None,
        session: None,
        password: false,
        sso: None,
    };
    match shown {
        Shown::Form { app, scopes, hidden, error, way } => {
            match way {
                SignIn::Session { name, csrf } => page.session = Some((name, csrf)),
                SignIn::Credentials { password, sso } => {
                    page.password = password;
                    page.sso = sso;
                }
            }
            page.app = app.to_string();
            page.scopes = scopes.to_string();
            page.hidden = hidden;
            page.error = error.map(|e| match e.code() {
                "invalid_credentials" => lang.t("error_wrong_password").to_string(),
                _ => lang.error(e),
            });
        }
        Shown::Code(code) => page.code = Some(code.to_string()),
        Shown::Refused(e) => page.refused = Some(lang.error(e)),
    }
    let mut response = render_with(status, &page);
    let target = url::Url::parse(redirect_uri).ok().map(|u| match u.scheme() {
        "http" | "https" => u.origin().ascii_serialization(),
        scheme => format!("{scheme}:"),
    });
    let csp = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'{}; frame-ancestors 'none'; \
         base-uri 'none'",
        target.map(|t| format!(" {t}")).unwrap_or_default()
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response.headers_mut().insert(CONTENT_SECURITY_POLICY, value);
    }
    response.headers_mut().insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response.headers_mut().insert("referrer-policy", HeaderValue::from_static("same-origin"));
    response
}
