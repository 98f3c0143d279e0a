//! Sandbox mode's wiring: the one place the gateway names a simulator.
//!
//! With no provider configured, railgate starts the built-in simulators
//! (the `railgate-sim` crate) in-process on private loopback ports and
//! points its adapters at them with the simulators' published sandbox
//! credentials; `railgate sim` serves the same simulators standalone.
//! Everything here translates railgate's configuration into a simulator's
//! settings: the simulators know nothing of railgate, and the adapters,
//! config and notification code know nothing of the simulators.

use crate::alitrip::sm4::{KeyEncoding, Sm4Config, Sm4Error, Sm4Mode, TextEncoding};
use crate::config::Config;
use crate::domain::time::SharedClock;
use crate::notify::start::SandboxGateway;
use crate::providers::juhe::mapping::SubmitIdNumbering;
use chrono::NaiveDateTime;
use railgate_sim::{juhe, panhe, top};
use secrecy::SecretString;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The code the sandbox's 12306 sends in every SMS (login verification,
/// registration, password recovery and change): there is no phone to
/// read a random one from. Published in the README.
pub const SANDBOX_SMS_CODE: &str = "123456";

/// The app key the Panhe simulator accepts unless configured otherwise.
pub const PANHE_APP_KEY: &str = panhe::DEFAULT_APP_KEY;

/// The key the Juhe simulator accepts unless configured otherwise.
pub const JUHE_KEY: &str = juhe::DEFAULT_KEY;

/// Where the Juhe simulator serves its endpoints, below its address.
pub const JUHE_BASE_PATH: &str = juhe::BASE_PATH;

/// The credentials railgate uses against a simulated provider unless
/// configured otherwise.
pub struct SandboxCredentials;

impl SandboxCredentials {
    /// Panhe's `appKey`.
    pub fn panhe_app_key() -> SecretString {
        SecretString::from(panhe::DEFAULT_APP_KEY)
    }

    /// Panhe's secret key for payment signs.
    pub fn panhe_secret_key() -> SecretString {
        SecretString::from(panhe::DEFAULT_SECRET_KEY)
    }

    /// Juhe's `key`.
    pub fn juhe_key() -> SecretString {
        SecretString::from(juhe::DEFAULT_KEY)
    }
}

/// The Panhe simulator's settings from railgate's configuration: the same
/// paths as the adapter (so an overridden path moves both sides), the
/// sandbox clock scale and the given app key.
pub fn panhe_settings(config: &Config, app_key: String) -> panhe::PanheSimConfig {
    let mut paths = panhe::PanhePaths::default();
    for (key, path) in config.panhe.paths.entries() {
        // The adapter and the simulator list the same endpoints; a key one
        // of them lacks would be a test failure, not a runtime condition.
        let known = paths.set(key, path);
        debug_assert!(known, "the panhe simulator has no endpoint {key}");
    }
    panhe::PanheSimConfig {
        app_key,
        paths,
        clock_scale: config.sandbox.clock_scale,
        sms_code: panhe::SmsCode::Fixed(SANDBOX_SMS_CODE.to_owned()),
        ..panhe::PanheSimConfig::default()
    }
}

/// The Juhe simulator's settings: the sandbox clock scale and `key`.
pub fn juhe_settings(config: &Config, key: String) -> juhe::JuheSimConfig {
    juhe::JuheSimConfig {
        key,
        clock_scale: config.sandbox.clock_scale,
        // The simulator reads idCardType as railgate is set to send it.
        submit_id_numbering: match config.juhe.submit_id_numbering {
            SubmitIdNumbering::ZeroBased => juhe::SubmitIdNumbering::ZeroBased,
            SubmitIdNumbering::OneBased => juhe::SubmitIdNumbering::OneBased,
        },
        ..juhe::JuheSimConfig::default()
    }
}

/// Serves the Panhe simulator on `listener` until `stopped`.
pub fn spawn_panhe(
    config: &Config,
    listener: TcpListener,
    stopped: impl Future<Output = ()> + Send + 'static,
) {
    let settings = panhe_settings(config, panhe::DEFAULT_APP_KEY.to_owned());
    tokio::spawn(async move {
        if let Err(error) = panhe::serve(listener, settings, stopped).await {
            tracing::error!(error = %error, "panhe simulator stopped");
        }
    });
}

/// Serves the Juhe simulator on `listener` until `stopped`.
pub fn spawn_juhe(
    config: &Config,
    listener: TcpListener,
    stopped: impl Future<Output = ()> + Send + 'static,
) {
    let settings = juhe_settings(config, juhe::DEFAULT_KEY.to_owned());
    tokio::spawn(async move {
        if let Err(error) = juhe::serve(listener, settings, stopped).await {
            tracing::error!(error = %error, "juhe simulator stopped");
        }
    });
}

/// Why the fake TOP gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// It could not listen.
    #[error("cannot listen for the sandbox TOP gateway")]
    Bind(#[source] std::io::Error),
    /// The SM4 settings cannot be given to it.
    #[error("cannot set up the sandbox TOP gateway's SM4")]
    Sm4(#[source] Sm4Error),
}

/// The fake TOP gateway's settings: the configured credentials where
/// given (so `railgate sim` can stand in for a configured gateway), the
/// sandbox ones otherwise; "now" from `clock`.
pub fn top_settings(
    config: &Config,
    clock: SharedClock,
) -> Result<top::TopSimConfig, SandboxError> {
    let alitrip = &config.alitrip;
    let defaults = top::TopSimConfig::default();
    let sm4 = match &alitrip.sm4.key {
        Some(key) => sm4_settings(&alitrip.sm4.with_key(key.clone())).map_err(SandboxError::Sm4)?,
        None => defaults.sm4.clone(),
    };
    Ok(top::TopSimConfig {
        app_key: alitrip.app_key.clone().unwrap_or(defaults.app_key.clone()),
        app_secret: alitrip
            .app_secret
            .clone()
            .unwrap_or(defaults.app_secret.clone()),
        sm4,
        clock: shanghai_clock(clock),
        ..defaults
    })
}

/// The fake's reading of the SM4 settings railgate encrypts with.
fn sm4_settings(config: &Sm4Config) -> Result<top::Sm4Settings, Sm4Error> {
    let (key, iv) = config.key_and_iv()?;
    let mode = match (config.mode, iv) {
        (Sm4Mode::Cbc, Some(iv)) => top::Sm4Mode::Cbc { iv },
        _ => top::Sm4Mode::Ecb,
    };
    let text = match config.output {
        TextEncoding::Base64 => top::CipherText::Base64,
        TextEncoding::Hex => top::CipherText::Hex,
    };
    Ok(top::Sm4Settings { key, mode, text })
}

/// railgate's clock as the simulators read time: Asia/Shanghai wall time.
fn shanghai_clock(clock: SharedClock) -> railgate_sim::clock::Clock {
    Arc::new(move || -> NaiveDateTime { clock.now_local().naive_local() })
}

/// Starts the fake TOP gateway on a private loopback port until `stopped`,
/// with the sandbox credentials; returns how railgate reaches it.
pub async fn start_top(
    config: &Config,
    clock: SharedClock,
    stopped: impl Future<Output = ()> + Send + 'static,
) -> Result<SandboxGateway, SandboxError> {
    let settings = top::TopSimConfig {
        clock: shanghai_clock(clock),
        ..top::TopSimConfig::default()
    };
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(SandboxError::Bind)?;
    let address = listener.local_addr().map_err(SandboxError::Bind)?;
    let url = format!("http://{address}{}", settings.path);
    tokio::spawn(async move {
        if let Err(error) = top::serve(listener, settings, stopped).await {
            tracing::error!(error = %error, "top simulator stopped");
        }
    });
    Ok(SandboxGateway {
        top: config.alitrip.top_config(
            &url,
            top::DEFAULT_APP_KEY.to_owned(),
            SecretString::from(top::DEFAULT_APP_SECRET),
        ),
        sm4: sandbox_sm4(),
    })
}

/// The SM4 settings of the sandbox fake: its published key, ECB, Base64.
pub fn sandbox_sm4() -> Sm4Config {
    Sm4Config {
        key: SecretString::from(top::DEFAULT_SM4_KEY),
        key_encoding: KeyEncoding::Hex,
        mode: Sm4Mode::Ecb,
        iv: None,
        output: TextEncoding::Base64,
    }
}

/// Where `railgate sim` listens.
#[derive(Debug, Clone)]
pub struct SimAddresses {
    /// The Panhe simulator, and the app key it accepts.
    pub panhe: (SocketAddr, String),
    /// The Juhe simulator and the key it accepts, if started.
    pub juhe: Option<(SocketAddr, String)>,
    /// The fake TOP gateway, if started.
    pub top: Option<SocketAddr>,
}

/// `railgate sim`: the simulators standalone until `shutdown`.
pub async fn run_simulators(
    config: Config,
    clock: SharedClock,
    addresses: SimAddresses,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error>> {
    use futures_util::FutureExt;
    type Served = std::pin::Pin<Box<dyn Future<Output = std::io::Result<()>> + Send>>;
    let (panhe_addr, panhe_app_key) = addresses.panhe;
    let listener = TcpListener::bind(panhe_addr).await?;
    let juhe_listener = match &addresses.juhe {
        Some((addr, _)) => Some(TcpListener::bind(addr).await?),
        None => None,
    };
    let top_listener = match addresses.top {
        Some(addr) => Some(TcpListener::bind(addr).await?),
        None => None,
    };
    let juhe_url = match &juhe_listener {
        Some(listener) => format!("http://{}{}", listener.local_addr()?, juhe::BASE_PATH),
        None => String::new(),
    };
    let top_config = top_settings(&config, clock)?;
    let top_url = match &top_listener {
        Some(listener) => format!("http://{}{}", listener.local_addr()?, top_config.path),
        None => String::new(),
    };
    tracing::info!(
        panhe = %format!("http://{}", listener.local_addr()?),
        juhe = %juhe_url,
        top = %top_url,
        "railgate simulators listening"
    );
    // One signal stops every simulator.
    let shutdown = shutdown.shared();
    let mut served: Vec<Served> = vec![Box::pin(panhe::serve(
        listener,
        panhe_settings(&config, panhe_app_key),
        shutdown.clone(),
    ))];
    if let (Some(juhe_listener), Some((_, key))) = (juhe_listener, addresses.juhe) {
        served.push(Box::pin(juhe::serve(
            juhe_listener,
            juhe_settings(&config, key),
            shutdown.clone(),
        )));
    }
    if let Some(top_listener) = top_listener {
        served.push(Box::pin(top::serve(top_listener, top_config, shutdown)));
    }
    futures_util::future::try_join_all(served).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alitrip::FieldCipher;
    use crate::domain::time::SystemClock;
    use secrecy::ExposeSecret;

    const KEY: &str = "0123456789abcdeffedcba9876543210";

    #[test]
    fn every_adapter_path_moves_the_simulated_route() {
        let mut config = Config::default();
        config.panhe.paths.query_tickets = "/v2/train/search".to_owned();
        let settings = panhe_settings(&config, "k".to_owned());
        assert_eq!(settings.paths.query_tickets, "/v2/train/search");
        let simulated: Vec<(&str, String)> = settings
            .paths
            .entries()
            .iter()
            .map(|(key, path)| (*key, path.to_string()))
            .collect();
        let adapter: Vec<(&str, String)> = config
            .panhe
            .paths
            .entries()
            .iter()
            .map(|(key, path)| (*key, path.to_string()))
            .collect();
        assert_eq!(simulated, adapter);
    }

    #[test]
    fn the_fake_takes_configured_credentials_or_the_sandbox_ones() {
        let sandbox = top_settings(&Config::default(), Arc::new(SystemClock)).unwrap();
        assert_eq!(sandbox.app_key, top::DEFAULT_APP_KEY);
        assert_eq!(sandbox.app_secret.expose_secret(), top::DEFAULT_APP_SECRET);
        let mut config = Config::default();
        config.alitrip.app_key = Some("12345678".into());
        config.alitrip.app_secret = Some(SecretString::from("s3cret"));
        config.alitrip.sm4.key = Some(SecretString::from(KEY));
        let configured = top_settings(&config, Arc::new(SystemClock)).unwrap();
        assert_eq!(configured.app_key, "12345678");
        assert_eq!(configured.app_secret.expose_secret(), "s3cret");
        // The fake decrypts what railgate's cipher encrypts under that key.
        let cipher =
            FieldCipher::new(&config.alitrip.sm4.with_key(SecretString::from(KEY))).unwrap();
        assert_eq!(
            configured.sm4.decrypt(&cipher.encrypt("张三")).as_deref(),
            Some("张三")
        );
    }

    #[test]
    fn cbc_and_hex_settings_reach_the_fake() {
        let config = Sm4Config {
            key: SecretString::from(KEY),
            key_encoding: KeyEncoding::Hex,
            mode: Sm4Mode::Cbc,
            iv: Some(SecretString::from("000102030405060708090a0b0c0d0e0f")),
            output: TextEncoding::Hex,
        };
        let cipher = FieldCipher::new(&config).unwrap();
        let settings = sm4_settings(&config).unwrap();
        assert_eq!(
            settings.decrypt(&cipher.encrypt("13800138000")).as_deref(),
            Some("13800138000")
        );
    }

    #[test]
    fn the_sandbox_cipher_is_the_fakes() {
        let cipher = FieldCipher::new(&sandbox_sm4()).unwrap();
        let fake = top::TopSimConfig::default().sm4;
        assert_eq!(
            fake.decrypt(&cipher.encrypt("李四")).as_deref(),
            Some("李四")
        );
    }
}
