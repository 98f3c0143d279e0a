//! Who may call railgate, and what for. Every gRPC call to railgate's own
//! services names a caller (a bearer token from the clients file, a JWT,
//! an mTLS client certificate, or the anonymous caller when
//! authentication is off) and needs the scope of its
//! RPC. Health and reflection stay open, so probes and grpcurl's listing
//! work without a token. The check runs as a tower layer in front of every
//! service ([`layer::AuthLayer`]); handlers read the [`Caller`] it leaves
//! in the request's extensions.

pub mod admission;
pub mod clients;
pub mod jwt;
pub mod layer;

use std::fmt;
use std::sync::Arc;

/// What a caller may do; each RPC needs one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Search, GetStops, LookupStations.
    Search,
    /// Book, Cancel, GetOrder, ListOrders, WatchOrder.
    Book,
    /// Confirm, ConfirmChange: money leaves the provider wallet.
    Pay,
    /// Refund, Change, CancelChange.
    Refund,
    /// AccountService.
    Accounts,
    /// AdminService; also reads every caller's orders.
    Admin,
}

impl Scope {
    /// Every scope, in the order the README lists them.
    pub const ALL: [Scope; 6] = [
        Scope::Search,
        Scope::Book,
        Scope::Pay,
        Scope::Refund,
        Scope::Accounts,
        Scope::Admin,
    ];

    /// The scope's name in the clients file and in refusals.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Search => "search",
            Scope::Book => "book",
            Scope::Pay => "pay",
            Scope::Refund => "refund",
            Scope::Accounts => "accounts",
            Scope::Admin => "admin",
        }
    }

    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == name)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// The scope an RPC needs, by its HTTP/2 path; None for the services any
/// client may call (health, reflection) and for paths railgate does not
/// serve (tonic answers those UNIMPLEMENTED).
pub fn required_scope(path: &str) -> Option<Scope> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    match service {
        "railgate.v1.BookingService" => Some(match method {
            "Search" | "GetStops" | "LookupStations" => Scope::Search,
            "Confirm" | "ConfirmChange" => Scope::Pay,
            "Refund" | "Change" | "CancelChange" => Scope::Refund,
            // Book, Cancel, GetOrder, ListOrders, WatchOrder, and any RPC
            // added later until it is given its own scope.
            _ => Scope::Book,
        }),
        "railgate.v1.AccountService" => Some(Scope::Accounts),
        "railgate.v1.AdminService" => Some(Scope::Admin),
        _ => None,
    }
}

/// The identity a call was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    id: Arc<str>,
    scopes: u8,
}

impl Caller {
    /// The caller of every call when authentication is off: every scope,
    /// and the owner of every order booked without authentication.
    pub fn anonymous() -> Self {
        Self::new("", Scope::ALL)
    }

    /// A caller named `id` holding `scopes`.
    pub fn new(id: &str, scopes: impl IntoIterator<Item = Scope>) -> Self {
        Self {
            id: id.into(),
            scopes: scopes.into_iter().fold(0, |bits, scope| bits | scope.bit()),
        }
    }

    /// The caller's id: the clients file's `id` ("" when anonymous). Orders
    /// are owned by it and idempotency keys are scoped by it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The id, shared (rate buckets and stream counts are keyed by it).
    pub fn shared_id(&self) -> Arc<str> {
        self.id.clone()
    }

    /// Whether the caller holds `scope`.
    pub fn may(&self, scope: Scope) -> bool {
        self.scopes & scope.bit() != 0
    }

    /// Whether the caller reads every caller's orders.
    pub fn sees_all_orders(&self) -> bool {
        self.may(Scope::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rpc_needs_the_scope_the_readme_names() {
        let table = [
            ("/railgate.v1.BookingService/Search", Some(Scope::Search)),
            ("/railgate.v1.BookingService/GetStops", Some(Scope::Search)),
            (
                "/railgate.v1.BookingService/LookupStations",
                Some(Scope::Search),
            ),
            ("/railgate.v1.BookingService/Book", Some(Scope::Book)),
            ("/railgate.v1.BookingService/Cancel", Some(Scope::Book)),
            ("/railgate.v1.BookingService/GetOrder", Some(Scope::Book)),
            ("/railgate.v1.BookingService/ListOrders", Some(Scope::Book)),
            ("/railgate.v1.BookingService/WatchOrder", Some(Scope::Book)),
            ("/railgate.v1.BookingService/Confirm", Some(Scope::Pay)),
            (
                "/railgate.v1.BookingService/ConfirmChange",
                Some(Scope::Pay),
            ),
            ("/railgate.v1.BookingService/Refund", Some(Scope::Refund)),
            ("/railgate.v1.BookingService/Change", Some(Scope::Refund)),
            (
                "/railgate.v1.BookingService/CancelChange",
                Some(Scope::Refund),
            ),
            (
                "/railgate.v1.AccountService/CheckLogin",
                Some(Scope::Accounts),
            ),
            (
                "/railgate.v1.AdminService/ReplayNotification",
                Some(Scope::Admin),
            ),
            ("/grpc.health.v1.Health/Check", None),
            (
                "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                None,
            ),
            (
                "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                None,
            ),
            ("garbage", None),
        ];
        for (path, scope) in table {
            assert_eq!(required_scope(path), scope, "{path}");
        }
    }

    #[test]
    fn scopes_parse_by_name_and_callers_hold_only_theirs() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("Admin"), None);
        let checkout = Caller::new("checkout", [Scope::Search, Scope::Book]);
        assert!(checkout.may(Scope::Book) && !checkout.may(Scope::Pay));
        assert!(!checkout.sees_all_orders());
        assert!(Caller::anonymous().sees_all_orders());
        assert_eq!(Caller::anonymous().id(), "");
    }
}
