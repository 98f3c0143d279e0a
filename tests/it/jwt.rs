//! JWT callers on a real server: the key set fetched over HTTP from a
//! JWKS endpoint, ES256 tokens signed here; a good token's scopes decide,
//! and expired, wrong-audience and wrongly signed tokens are refused.

use crate::auth::search_request;
use crate::auth::with_token;
use crate::support::{TestApp, details};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use railgate::proto::booking_service_client::BookingServiceClient;
use serde_json::json;
use tonic::Code;

struct SigningKey {
    encoding: EncodingKey,
    jwk: serde_json::Value,
}

fn signing_key(kid: &str) -> SigningKey {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let point = pair.public_key_raw();
    let (x, y) = point[1..].split_at(32);
    let b64 = |bytes: &[u8]| {
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
    };
    SigningKey {
        encoding: EncodingKey::from_ec_der(&pair.serialize_der()),
        jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "x": b64(x), "y": b64(y)}),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A token for `sub` with `scope`, expiring `exp_in` seconds from now.
fn token(key: &SigningKey, audience: &str, scope: &str, exp_in: i64) -> &'static str {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = key.jwk["kid"].as_str().map(str::to_owned);
    let claims = json!({
        "iss": "https://idp.railgate.test",
        "aud": audience,
        "sub": "checkout",
        "scope": scope,
        "iat": now(),
        "exp": now() + exp_in,
    });
    // with_token takes 'static tokens; a test leaks a few bytes.
    Box::leak(
        jsonwebtoken::encode(&header, &claims, &key.encoding)
            .unwrap()
            .into_boxed_str(),
    )
}

/// Serves `{"keys": [...]}` at /jwks on loopback; returns its URL.
async fn jwks_endpoint(keys: Vec<serde_json::Value>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let document = json!({ "keys": keys });
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let document = document.clone();
            async move { axum::Json(document) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/jwks")
}

#[tokio::test]
async fn jwts_are_verified_against_the_jwks_and_their_scopes_decide() {
    let key = signing_key("idp-2026-12");
    let forger = signing_key("idp-2026-12");
    let url = jwks_endpoint(vec![key.jwk.clone()]).await;
    let app = TestApp::spawn_with(|config| {
        config.auth.mode = Some(railgate::config::AuthMode::Jwt);
        config.auth.jwt.issuer = Some("https://idp.railgate.test".into());
        config.auth.jwt.audience = Some("railgate".into());
        config.auth.jwt.jwks_url = Some(url);
    })
    .await;
    let client =
        |token: &'static str| BookingServiceClient::new(with_token(&app.channel, Some(token)));

    let good = token(&key, "railgate", "search book openid", 300);
    client(good)
        .search(search_request())
        .await
        .expect("a good token searches");
    // Its scopes do not include pay.
    crate::tls::assert_may_not_pay(&mut client(good)).await;

    for (token, why) in [
        (token(&key, "railgate", "search", -600), "expired"),
        (token(&key, "billing", "search", 300), "another audience"),
        (
            token(&forger, "railgate", "search", 300),
            "signed by another key",
        ),
    ] {
        let status = client(token).search(search_request()).await.unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{why}: {status:?}");
        assert_eq!(
            details(&status).error_info().unwrap().reason,
            "UNAUTHENTICATED",
            "{why}"
        );
    }
    let status = BookingServiceClient::new(with_token(&app.channel, None))
        .search(search_request())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    app.stop().await.unwrap();
}
