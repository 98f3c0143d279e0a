//! JWT verification: good tokens of both algorithms, and every refusal.

use super::*;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

const RS256_KEY_DER: &[u8] = include_bytes!("testdata/rs256-test-key.der");
const RS256_JWK: &str = include_str!("testdata/rs256-test-key.jwk.json");

/// An ES256 key pair made for the test: its encoding key and public JWK.
fn es256_key(kid: &str) -> (EncodingKey, serde_json::Value) {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let point = pair.public_key_raw();
    // Uncompressed point: 0x04, x, y.
    let (x, y) = point[1..].split_at(32);
    let b64 = |bytes: &[u8]| {
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
    };
    (
        EncodingKey::from_ec_der(&pair.serialize_der()),
        json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": b64(x), "y": b64(y)}),
    )
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(exp_from_now: i64) -> serde_json::Value {
    json!({
        "iss": "https://idp.example.com",
        "aud": "railgate",
        "sub": "checkout",
        "scope": "search book openid",
        "exp": (now() as i64 + exp_from_now),
    })
}

async fn verifier(keys: Vec<serde_json::Value>) -> (JwtVerifier, tempfile::NamedTempFile) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), json!({ "keys": keys }).to_string()).unwrap();
    let verifier = JwtVerifier::load(JwtSettings {
        jwks: JwksSource::File(file.path().to_owned()),
        issuer: "https://idp.example.com".into(),
        audience: "railgate".into(),
        caller_claim: "sub".into(),
        scopes_claim: "scope".into(),
        leeway: Duration::from_secs(30),
        refresh: Duration::from_secs(300),
    })
    .await
    .unwrap();
    (verifier, file)
}

fn sign(alg: Algorithm, kid: &str, key: &EncodingKey, claims: &serde_json::Value) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

#[tokio::test]
async fn es256_and_rs256_tokens_name_their_caller_and_known_scopes() {
    let (es_key, es_jwk) = es256_key("es-test");
    let rs_jwk: serde_json::Value = serde_json::from_str(RS256_JWK).unwrap();
    let (verifier, _file) = verifier(vec![es_jwk, rs_jwk]).await;
    assert_eq!(verifier.key_count(), 2);
    let es = sign(Algorithm::ES256, "es-test", &es_key, &claims(300));
    let caller = verifier.caller(&es).unwrap();
    assert_eq!(caller.id(), "checkout");
    assert!(caller.may(Scope::Search) && caller.may(Scope::Book) && !caller.may(Scope::Pay));
    let rs_key = EncodingKey::from_rsa_der(RS256_KEY_DER);
    let mut array_scopes = claims(300);
    array_scopes["scope"] = json!(["pay"]);
    let rs = sign(Algorithm::RS256, "rs-test", &rs_key, &array_scopes);
    assert!(verifier.caller(&rs).unwrap().may(Scope::Pay));
}

#[tokio::test]
async fn expired_wrong_audience_wrong_issuer_and_wrongly_signed_tokens_are_refused() {
    let (key, jwk) = es256_key("k1");
    let (other_key, _) = es256_key("k1");
    let (verifier, _file) = verifier(vec![jwk]).await;
    let expired = sign(Algorithm::ES256, "k1", &key, &claims(-120));
    assert_eq!(verifier.caller(&expired), Err(JwtRefusal::Expired));
    // Inside the leeway an expired token still passes (clock skew).
    let just_expired = sign(Algorithm::ES256, "k1", &key, &claims(-5));
    assert!(verifier.caller(&just_expired).is_ok());
    let mut audience = claims(300);
    audience["aud"] = json!("billing");
    let wrong_audience = sign(Algorithm::ES256, "k1", &key, &audience);
    assert_eq!(
        verifier.caller(&wrong_audience),
        Err(JwtRefusal::WrongAudience)
    );
    let mut issuer = claims(300);
    issuer["iss"] = json!("https://evil.example.com");
    let wrong_issuer = sign(Algorithm::ES256, "k1", &key, &issuer);
    assert_eq!(
        verifier.caller(&wrong_issuer),
        Err(JwtRefusal::WrongAudience)
    );
    let forged = sign(Algorithm::ES256, "k1", &other_key, &claims(300));
    assert_eq!(verifier.caller(&forged), Err(JwtRefusal::Signature));
    let mut no_exp = claims(300);
    no_exp.as_object_mut().unwrap().remove("exp");
    let unbounded = sign(Algorithm::ES256, "k1", &key, &no_exp);
    assert!(verifier.caller(&unbounded).is_err());
    let mut no_sub = claims(300);
    no_sub.as_object_mut().unwrap().remove("sub");
    let nameless = sign(Algorithm::ES256, "k1", &key, &no_sub);
    assert_eq!(verifier.caller(&nameless), Err(JwtRefusal::NoCaller));
}

#[tokio::test]
async fn other_algorithms_unknown_keys_and_garbage_are_refused() {
    let (key, jwk) = es256_key("k1");
    let (verifier, _file) = verifier(vec![jwk.clone()]).await;
    // HS256 with the public key's bytes as the secret: the classic
    // algorithm-confusion forgery.
    let secret = EncodingKey::from_secret(jwk.to_string().as_bytes());
    let hmac = sign(Algorithm::HS256, "k1", &secret, &claims(300));
    assert_eq!(verifier.caller(&hmac), Err(JwtRefusal::Algorithm));
    // alg "none": header and claims, no signature.
    let b64 = |text: String| {
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, text)
    };
    let none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "kid": "k1"}).to_string()),
        b64(claims(300).to_string())
    );
    assert!(verifier.caller(&none).is_err());
    let unknown = sign(Algorithm::ES256, "k2", &key, &claims(300));
    assert_eq!(verifier.caller(&unknown), Err(JwtRefusal::UnknownKey));
    // An ES256 key may not verify an RS256 token.
    let rs_key = EncodingKey::from_rsa_der(RS256_KEY_DER);
    let confused = sign(Algorithm::RS256, "k1", &rs_key, &claims(300));
    assert!(verifier.caller(&confused).is_err());
    assert_eq!(verifier.caller("not.a.jwt"), Err(JwtRefusal::Malformed));
    assert_eq!(verifier.caller(""), Err(JwtRefusal::Malformed));
}

#[test]
fn a_key_set_without_a_usable_key_is_refused_and_odd_keys_are_skipped() {
    assert!(parse_key_set("{}").is_err());
    assert!(parse_key_set(r#"{"keys": []}"#).is_err());
    let only_hmac = r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]}"#;
    assert!(parse_key_set(only_hmac).is_err());
    let mixed = format!(
        r#"{{"keys": [{{"kty": "oct", "k": "c2VjcmV0"}}, {{"kty": "XYZ"}}, {}]}}"#,
        RS256_JWK
    );
    let set = parse_key_set(&mixed).unwrap();
    assert_eq!(set.by_id.len(), 1);
}
