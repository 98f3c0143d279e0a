//! Text railgate reads from its callers and its operator: station queries
//! (Search, station lookup) and the configuration file.

use super::utf8;
use crate::config::Config;
use crate::domain::time::SystemClock;
use crate::providers::stack::Lane;
use crate::routing::capabilities::Capability;
use crate::stations::StationDirectory;
use std::collections::HashMap;
use std::sync::Arc;

/// A station as a caller types it: resolved (name, telecode, pinyin,
/// initials, with "did you mean" suggestions), prefix-searched, looked up
/// exactly. A station resolved must be the one its own name names.
pub fn station_query(data: &[u8]) {
    let Some(text) = utf8(data) else {
        return;
    };
    let directory = StationDirectory::embedded();
    if let Ok(station) = directory.resolve(text) {
        assert_eq!(directory.by_name(&station.name), Some(station));
    }
    for limit in [1, 20] {
        assert!(directory.lookup(text, limit).len() <= limit);
    }
    let _ = directory.by_name(text);
    let _ = directory.by_telecode(text);
}

/// A configuration file's text, loaded as `railgate --config` loads one
/// (no environment), and every setting derived from an accepted one.
pub fn config_toml(data: &[u8]) {
    let Some(text) = utf8(data) else {
        return;
    };
    let Ok(config) = Config::load_text("fuzz.toml", text, &HashMap::new()) else {
        return;
    };
    let _ = config.store.identity_cipher();
    let _ = config.orders.retention();
    let _ = config.server.http_limits();
    let _ = config.search.provider_timeout();
    let _ = config.search.cache_ttl();
    let _ = config.store_url();
    let _ = config.offers.seal(Arc::new(SystemClock));
    for limits in [config.panhe.limits(), config.juhe.limits()] {
        let _ = (limits.of(Lane::Search), limits.of(Lane::Orders));
    }
    let _ = config.resilience.settings();
    let _ = config.alitrip.retry_policy();
    let _ = config.alitrip.lease();
    let _ = config.callbacks.allowlists();
    let _ = config.tls.reload_interval();
    let _ = config.limits.caller_rate();
    let _ = config.auth.mode();
    for capability in Capability::ALL {
        let _ = config.routing.pinned(capability);
    }
}
