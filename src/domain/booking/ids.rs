//! railgate's own ids for orders, tickets and change orders.

use std::fmt;

/// An id string that is not `<prefix>_<32 lowercase hex digits>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" is not a valid {kind} id")]
pub struct IdError {
    /// Which kind of id was expected.
    pub kind: &'static str,
    /// The refused text (ids carry no personal data).
    pub text: String,
}

/// Defines a prefixed, UUIDv7-based id: time-ordered, so ids sort by
/// creation, and the prefix says what the id names (`ord_…`).
macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix, including the underscore.
            pub const PREFIX: &'static str = $prefix;

            /// A new id from a UUIDv7 (current time, random tail).
            pub fn new() -> Self {
                $name(format!("{}{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            /// Parses an id as [`Self::as_str`] writes it.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                let valid = text.strip_prefix($prefix).is_some_and(|hex| {
                    hex.len() == 32
                        && hex
                            .bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                });
                if valid {
                    Ok($name(text.to_owned()))
                } else {
                    Err(IdError {
                        kind: $kind,
                        text: text.to_owned(),
                    })
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;

            fn from_str(text: &str) -> Result<Self, IdError> {
                Self::parse(text)
            }
        }
    };
}

prefixed_id!(
    /// railgate's order id, `ord_…`.
    OrderId,
    "ord_",
    "order"
);
prefixed_id!(
    /// railgate's ticket id (one per passenger), `tkt_…`.
    TicketId,
    "tkt_",
    "ticket"
);
prefixed_id!(
    /// railgate's change order id, `chg_…`.
    ChangeId,
    "chg_",
    "change"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_prefix_and_parse_back() {
        let id = OrderId::new();
        assert!(id.as_str().starts_with("ord_"));
        assert_eq!(id.as_str().len(), 4 + 32);
        assert_eq!(OrderId::parse(id.as_str()), Ok(id.clone()));
        assert!(TicketId::parse(id.as_str()).is_err());
        assert!(OrderId::parse("ord_xyz").is_err());
        assert!(ChangeId::new().to_string().starts_with("chg_"));
        // UUIDv7: later ids sort after earlier ones (millisecond clock).
        let first = OrderId::new();
        std::thread::sleep(std::time::Duration::from_millis(2));
        assert!(OrderId::new() > first);
    }
}
