//! Static assets compiled into the binary, so a deployment is one file.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "designsystemet/designsystemet.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/designsystemet/designsystemet.css"),
    ),
    (
        "designsystemet/theme.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/designsystemet/theme.css"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/app.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../../static/favicon.svg"),
    ),
];

/// A short fingerprint of all assets, put into their URLs (`?v=…`) so that a browser
/// never keeps an old stylesheet after an upgrade.
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let mut all = Vec::new();
        for (_, _, body) in ASSETS {
            all.extend_from_slice(body);
        }
        crate::security::token_hash_bytes(&all)[..12].to_string()
    })
}

pub async fn serve(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == path) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "Fant ikke filen.").into_response(),
    }
}

/// `/favicon.ico`, which browsers ask for whatever the page says: the same icon.
pub async fn favicon() -> Response {
    serve(Path("favicon.svg".to_string())).await
}
