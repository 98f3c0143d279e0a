//! 12306 accounts: the provider that serves them (Panhe alone), the
//! credentials encrypted for it, and the check Book makes of the frequent
//! passengers it names ([`check_travellers`]).
//!
//! Nothing is kept: the user name, password and codes come with each call
//! and leave with it, encrypted where the provider wants ciphertext. The
//! login itself lives at 12306 (re-check it at least every 10 hours).

use crate::domain::IdType;
use crate::domain::account::{FrequentPassenger, IdentityStatus};
use crate::providers::panhe::PanheAdapter;
use crate::providers::panhe::booking::TrainCredentials;
use crate::providers::panhe::credentials::CredentialCipher;
use secrecy::SecretString;
use std::sync::Arc;

/// Account operations over Panhe.
#[derive(Clone)]
pub struct Accounts {
    panhe: PanheAdapter,
    cipher: Arc<dyn CredentialCipher>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

impl Accounts {
    /// Accounts at `panhe`, credentials encrypted with `cipher`.
    pub fn new(panhe: PanheAdapter, cipher: Arc<dyn CredentialCipher>) -> Self {
        Self { panhe, cipher }
    }

    /// The adapter the calls go to.
    pub fn panhe(&self) -> &PanheAdapter {
        &self.panhe
    }

    /// `user` and `password` as Panhe takes them.
    pub fn credentials(&self, user: &str, password: &str) -> TrainCredentials {
        TrainCredentials {
            account: SecretString::from(self.cipher.encrypt(user)),
            password: SecretString::from(self.encrypt(password)),
        }
    }

    /// One more credential (a new password) as Panhe takes it.
    pub fn encrypt(&self, value: &str) -> String {
        self.cipher.encrypt(value)
    }
}

/// A Book passenger named as a frequent passenger of the booking account.
#[derive(Debug, Clone, Copy)]
pub struct NamedTraveller<'a> {
    /// Position in the Book request.
    pub index: usize,
    /// The account's id for the passenger.
    pub frequent_passenger_id: i64,
    /// Name as the Book gives it.
    pub name: &'a str,
    /// Document type as the Book gives it.
    pub id_type: IdType,
    /// Document number as the Book gives it.
    pub id_number: &'a str,
}

/// Why Book will not send a named frequent passenger to the provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TravellerProblem {
    /// The account has no passenger with that id.
    #[error("passengers[{index}]: the account has no frequent passenger {id}")]
    NotOnAccount {
        /// Position in the Book request.
        index: usize,
        /// The id named.
        id: i64,
    },
    /// The account's passenger of that id is someone else (name, document
    /// type or the visible part of the number differ).
    #[error("passengers[{index}]: frequent passenger {id} has another name or document")]
    Mismatch {
        /// Position in the Book request.
        index: usize,
        /// The id named.
        id: i64,
    },
    /// 12306 has not verified the passenger's identity: it would not sell.
    #[error("passengers[{index}]: 12306 has not verified the identity of frequent passenger {id} ({})", .status.as_str())]
    Unverified {
        /// Position in the Book request.
        index: usize,
        /// The id named.
        id: i64,
        /// The passenger's status.
        status: IdentityStatus,
    },
}

/// Checks each named traveller against the account's `listed` frequent
/// passengers: present, the same person, identity verified. The first
/// problem is returned, in request order.
pub fn check_travellers(
    listed: &[FrequentPassenger],
    named: &[NamedTraveller<'_>],
) -> Result<(), TravellerProblem> {
    for traveller in named {
        let (index, id) = (traveller.index, traveller.frequent_passenger_id);
        let Some(passenger) = listed.iter().find(|passenger| passenger.id == id) else {
            return Err(TravellerProblem::NotOnAccount { index, id });
        };
        let same_person = passenger.name.trim() == traveller.name.trim()
            && passenger.id_type == traveller.id_type
            && passenger.shows_number(traveller.id_number);
        if !same_person {
            return Err(TravellerProblem::Mismatch { index, id });
        }
        if !passenger.identity.can_travel() {
            return Err(TravellerProblem::Unverified {
                index,
                id,
                status: passenger.identity,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PassengerType;

    fn listed(id: i64, identity: IdentityStatus) -> FrequentPassenger {
        FrequentPassenger {
            id,
            name: "张三".into(),
            id_type: IdType::ResidentIdCard,
            id_number_masked: "1101***********02X".into(),
            phone: "13800138000".into(),
            passenger_type: PassengerType::Adult,
            identity,
            phone_verified: true,
            is_holder: false,
            birth_date: None,
            sex: None,
            country_code: None,
        }
    }

    fn named(id: i64) -> NamedTraveller<'static> {
        NamedTraveller {
            index: 1,
            frequent_passenger_id: id,
            name: "张三",
            id_type: IdType::ResidentIdCard,
            id_number: "11010519491231002X",
        }
    }

    #[test]
    fn a_verified_passenger_on_the_account_passes() {
        let account = [listed(7, IdentityStatus::Passed)];
        assert_eq!(check_travellers(&account, &[named(7)]), Ok(()));
        let account = [listed(7, IdentityStatus::PrePassed)];
        assert_eq!(check_travellers(&account, &[named(7)]), Ok(()));
    }

    #[test]
    fn an_unverified_passenger_is_refused_with_the_status() {
        for status in [
            IdentityStatus::Failed,
            IdentityStatus::Unknown,
            IdentityStatus::Pending,
            IdentityStatus::ReportRequired,
        ] {
            assert_eq!(
                check_travellers(&[listed(7, status)], &[named(7)]),
                Err(TravellerProblem::Unverified {
                    index: 1,
                    id: 7,
                    status
                })
            );
        }
    }

    #[test]
    fn a_passenger_not_on_the_account_or_someone_else_is_refused() {
        let account = [listed(7, IdentityStatus::Passed)];
        assert_eq!(
            check_travellers(&account, &[named(8)]),
            Err(TravellerProblem::NotOnAccount { index: 1, id: 8 })
        );
        let mut other = named(7);
        other.id_number = "44052418800101001X";
        assert_eq!(
            check_travellers(&account, &[other]),
            Err(TravellerProblem::Mismatch { index: 1, id: 7 })
        );
        let mut other = named(7);
        other.name = "李四";
        assert_eq!(
            check_travellers(&account, &[other]),
            Err(TravellerProblem::Mismatch { index: 1, id: 7 })
        );
    }

    #[test]
    fn problems_never_quote_personal_data() {
        let problem = TravellerProblem::Unverified {
            index: 0,
            id: 7,
            status: IdentityStatus::Pending,
        };
        let text = problem.to_string();
        assert!(!text.contains("张三") && !text.contains("1101"), "{text}");
    }
}
