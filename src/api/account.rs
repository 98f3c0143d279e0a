//! `railgate.v1.AccountService`: 12306 accounts, served by Panhe alone (a
//! call routed to Juhe is refused, CAPABILITY_UNSUPPORTED). Each handler
//! reads its request ([`super::account_request`]), picks the provider and
//! makes one provider call; credentials and codes pass through, encrypted
//! where Panhe wants ciphertext, and are kept nowhere. The calls that
//! change an account leave an audit line (caller, RPC, outcome), like
//! every mutating call.

use super::account_request::Checked;
use super::audit::audited;
use super::convert::provider_from_proto;
use super::convert_order::{id_type_to_proto, passenger_type_to_proto, sex_to_proto};
use super::status::ApiError;
use super::{ApiState, caller};
use crate::accounts::Accounts;
use crate::domain::account::{
    DeleteOutcome, FrequentPassenger, IdentityStatus, LoginNextStep, PassengerSaved,
};
use crate::proto as pb;
use crate::proto::account_service_server::AccountService;
use crate::routing::capabilities::Capability;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// The AccountService implementation.
pub struct AccountApi {
    state: Arc<ApiState>,
}

impl AccountApi {
    /// Serves `state`.
    pub fn new(state: Arc<ApiState>) -> Self {
        Self { state }
    }

    /// The accounts of the provider `requested` (or routing's choice):
    /// refused unless it manages 12306 accounts.
    fn accounts(&self, requested: i32) -> Result<&Accounts, ApiError> {
        let requested = match requested {
            0 => None,
            value => Some(provider_from_proto(value).ok_or_else(|| {
                ApiError::InvalidArgument(vec![super::status::Violation::new(
                    "provider",
                    format!("{value} is not a provider"),
                )])
            })?),
        };
        self.state
            .router
            .select(Capability::AccountManagement, requested)?;
        Ok(&self.state.accounts)
    }

    /// 修改密码: step 1 without `code` (12306 texts one), step 2 with it.
    async fn change_password_step(
        &self,
        provider: i32,
        account: Option<&pb::TrainAccount>,
        new_password: &str,
        code: Option<&str>,
    ) -> Result<(), ApiError> {
        let accounts = self.accounts(provider)?;
        let mut checked = Checked::default();
        let account = checked.account(account);
        let new = checked.new_password("new_password", new_password);
        let code = match code {
            Some(code) => checked.code("verification_code", code).map(Some),
            None => Some(None),
        };
        let (((user, old), new), code) = checked.finish(account.zip(new).zip(code))?;
        accounts
            .panhe()
            .change_password(
                &accounts.credentials(&user, &old),
                &accounts.encrypt(&new),
                code.as_deref(),
            )
            .await?;
        Ok(())
    }
}

fn respond<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl AccountService for AccountApi {
    async fn register_account(
        &self,
        request: Request<pb::RegisterAccountRequest>,
    ) -> Result<Response<pb::RegisterAccountResponse>, Status> {
        audited("RegisterAccount", request, |_, request| async move {
            let accounts = self.accounts(request.provider)?;
            let mut checked = Checked::default();
            let account = checked.account(request.account.as_ref());
            // The rule 12306 applies, checked before anything is sent.
            let password = account
                .as_ref()
                .and_then(|(_, password)| checked.new_password("account.password", password));
            let holder = checked.holder(request.holder.as_ref());
            let code = checked.code("sms_code", &request.sms_code);
            let ((user, _), password, holder, code) =
                checked.finish(zip4(account, password, holder, code))?;
            let credentials = accounts.credentials(&user, &password);
            let (registered, message) = accounts
                .panhe()
                .register_account(&credentials, &holder, &code)
                .await?;
            Ok(pb::RegisterAccountResponse {
                registered,
                message,
            })
        })
        .await
    }

    async fn check_login(
        &self,
        request: Request<pb::CheckLoginRequest>,
    ) -> Result<Response<pb::CheckLoginResponse>, Status> {
        caller::of(&request)?;
        let request = request.into_inner();
        respond(
            async {
                let accounts = self.accounts(request.provider)?;
                let mut checked = Checked::default();
                let account = checked.account(request.account.as_ref());
                let digits = request.id_number_last_digits.trim();
                if !(digits.is_empty()
                    || (digits.chars().count() == 4
                        && digits.chars().all(|c| c.is_ascii_alphanumeric())))
                {
                    checked.problem(
                        "id_number_last_digits",
                        "is the last 4 characters of the holder's document number",
                    );
                }
                let (user, password) = checked.finish(account)?;
                let check = accounts
                    .panhe()
                    .check_login(
                        &accounts.credentials(&user, &password),
                        Some(digits).filter(|digits| !digits.is_empty()),
                    )
                    .await?;
                let mut response = pb::CheckLoginResponse {
                    passed: check.passed,
                    message: check.message,
                    ..Default::default()
                };
                response.next_step = match check.next_step {
                    LoginNextStep::None => pb::LoginNextStep::None,
                    LoginNextStep::SendSms {
                        text,
                        recipient,
                        phone_last_digits,
                    } => {
                        response.sms_text = text;
                        response.sms_recipient = recipient;
                        response.phone_last_digits = phone_last_digits;
                        pb::LoginNextStep::SendSms
                    }
                    LoginNextStep::VerifyFace => pb::LoginNextStep::VerifyFace,
                    LoginNextStep::CheckCredentials => pb::LoginNextStep::CheckCredentials,
                    LoginNextStep::GiveIdDigits => pb::LoginNextStep::GiveIdDigits,
                    LoginNextStep::SeeMessage => pb::LoginNextStep::SeeMessage,
                } as i32;
                Ok(response)
            }
            .await,
        )
    }

    async fn verify_sms(
        &self,
        request: Request<pb::VerifySmsRequest>,
    ) -> Result<Response<pb::VerifySmsResponse>, Status> {
        audited("VerifySms", request, |_, request| async move {
            let accounts = self.accounts(request.provider)?;
            let mut checked = Checked::default();
            let account = checked.account(request.account.as_ref());
            let code = checked.code("code", &request.code);
            let ((user, password), code) = checked.finish(account.zip(code))?;
            accounts
                .panhe()
                .verify_sms(&accounts.credentials(&user, &password), &code)
                .await?;
            Ok(pb::VerifySmsResponse {})
        })
        .await
    }

    async fn verify_face(
        &self,
        request: Request<pb::VerifyFaceRequest>,
    ) -> Result<Response<pb::VerifyFaceResponse>, Status> {
        audited("VerifyFace", request, |_, request| async move {
            let accounts = self.accounts(request.provider)?;
            let mut checked = Checked::default();
            let account = checked.account(request.account.as_ref());
            let photos = checked.photos(request.photos);
            let ((user, password), photos) = checked.finish(account.zip(photos))?;
            accounts
                .panhe()
                .verify_face(&accounts.credentials(&user, &password), &photos)
                .await?;
            Ok(pb::VerifyFaceResponse {})
        })
        .await
    }

    async fn list_frequent_passengers(
        &self,
        request: Request<pb::ListFrequentPassengersRequest>,
    ) -> Result<Response<pb::ListFrequentPassengersResponse>, Status> {
        caller::of(&request)?;
        let request = request.into_inner();
        respond(
            async {
                let accounts = self.accounts(request.provider)?;
                let mut checked = Checked::default();
                let account = checked.account(request.account.as_ref());
                let (user, password) = checked.finish(account)?;
                let passengers = accounts
                    .panhe()
                    .frequent_passengers(&accounts.credentials(&user, &password))
                    .await?;
                Ok(pb::ListFrequentPassengersResponse {
                    passengers: passengers.into_iter().map(passenger_to_proto).collect(),
                })
            }
            .await,
        )
    }

    async fn upsert_frequent_passenger(
        &self,
        request: Request<pb::UpsertFrequentPassengerRequest>,
    ) -> Result<Response<pb::UpsertFrequentPassengerResponse>, Status> {
        audited(
            "UpsertFrequentPassenger",
            request,
            |_, request| async move {
                let accounts = self.accounts(request.provider)?;
                let mut checked = Checked::default();
                let account = checked.account(request.account.as_ref());
                let passenger = match &request.passenger {
                    Some(passenger) => checked.passenger("passenger", passenger),
                    None => {
                        checked.problem("passenger", "is required");
                        None
                    }
                };
                let ((user, password), passenger) = checked.finish(account.zip(passenger))?;
                let saved = accounts
                    .panhe()
                    .save_passenger(&accounts.credentials(&user, &password), &passenger)
                    .await?;
                Ok(saved_to_proto(saved))
            },
        )
        .await
    }

    async fn update_account_holder(
        &self,
        request: Request<pb::UpdateAccountHolderRequest>,
    ) -> Result<Response<pb::UpdateAccountHolderResponse>, Status> {
        audited("UpdateAccountHolder", request, |_, request| async move {
            let accounts = self.accounts(request.provider)?;
            let mut checked = Checked::default();
            let account = checked.account(request.account.as_ref());
            // Unlike Book, no default here: the change must be meant.
            let passenger_type = match request.passenger_type {
                0 => None,
                value => super::convert_order::passenger_type_from_proto(value),
            };
            if passenger_type.is_none() {
                checked.problem("passenger_type", "is required: the holder's new fare type");
            }
            let ((user, password), passenger_type) = checked.finish(account.zip(passenger_type))?;
            accounts
                .panhe()
                .update_account_holder(&accounts.credentials(&user, &password), passenger_type)
                .await?;
            Ok(pb::UpdateAccountHolderResponse {})
        })
        .await
    }

    async fn delete_frequent_passenger(
        &self,
        request: Request<pb::DeleteFrequentPassengerRequest>,
    ) -> Result<Response<pb::DeleteFrequentPassengerResponse>, Status> {
        audited(
            "DeleteFrequentPassenger",
            request,
            |_, request| async move {
                let accounts = self.accounts(request.provider)?;
                let mut checked = Checked::default();
                let account = checked.account(request.account.as_ref());
                let name = checked.name("name", &request.name);
                let id_type = checked.id_type("id_type", request.id_type);
                let id_number = checked.id_number("id_number", id_type, &request.id_number);
                let ((user, password), (name, (id_type, id_number))) =
                    checked.finish(account.zip(name.zip(id_type.zip(id_number))))?;
                let outcome = accounts
                    .panhe()
                    .delete_passenger(
                        &accounts.credentials(&user, &password),
                        &name,
                        id_type,
                        &id_number,
                    )
                    .await?;
                match outcome {
                    DeleteOutcome::Deleted => Ok(pb::DeleteFrequentPassengerResponse {}),
                    DeleteOutcome::TooSoon { deletable_from } => {
                        Err(ApiError::PassengerDeleteTooSoon { deletable_from })
                    }
                }
            },
        )
        .await
    }

    async fn request_password_reset(
        &self,
        request: Request<pb::RequestPasswordResetRequest>,
    ) -> Result<Response<pb::RequestPasswordResetResponse>, Status> {
        audited("RequestPasswordReset", request, |_, request| async move {
            let accounts = self.accounts(request.provider)?;
            let mut checked = Checked::default();
            let request_id = checked.request_id(&request.request_id);
            let id_type = checked.id_type("id_type", request.id_type);
            let id_number = checked.id_number("id_number", id_type, &request.id_number);
            let phone = checked.phone("phone", &request.phone);
            let (request_id, id_type, id_number, phone) =
                checked.finish(zip4(request_id, id_type, id_number, phone))?;
            accounts
                .panhe()
                .request_password_reset(&request_id, id_type, &id_number, &phone)
                .await?;
            Ok(pb::RequestPasswordResetResponse {})
        })
        .await
    }

    async fn reset_password(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Result<Response<pb::ResetPasswordResponse>, Status> {
        audited("ResetPassword", request, |_, request| async move {
            let accounts = self.accounts(request.provider)?;
            let mut checked = Checked::default();
            let request_id = checked.request_id(&request.request_id);
            let password = checked.new_password("new_password", &request.new_password);
            let code = checked.code("verification_code", &request.verification_code);
            let ((request_id, password), code) =
                checked.finish(request_id.zip(password).zip(code))?;
            accounts
                .panhe()
                .reset_password(&request_id, &accounts.encrypt(&password), &code)
                .await?;
            Ok(pb::ResetPasswordResponse {})
        })
        .await
    }

    async fn request_password_change(
        &self,
        request: Request<pb::RequestPasswordChangeRequest>,
    ) -> Result<Response<pb::RequestPasswordChangeResponse>, Status> {
        audited("RequestPasswordChange", request, |_, request| async move {
            self.change_password_step(
                request.provider,
                request.account.as_ref(),
                &request.new_password,
                None,
            )
            .await?;
            Ok(pb::RequestPasswordChangeResponse {})
        })
        .await
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        audited("ChangePassword", request, |_, request| async move {
            self.change_password_step(
                request.provider,
                request.account.as_ref(),
                &request.new_password,
                Some(&request.verification_code),
            )
            .await?;
            Ok(pb::ChangePasswordResponse {})
        })
        .await
    }
}

fn zip4<A, B, C, D>(
    a: Option<A>,
    b: Option<B>,
    c: Option<C>,
    d: Option<D>,
) -> Option<(A, B, C, D)> {
    Some((a?, b?, c?, d?))
}

fn identity_to_proto(status: IdentityStatus) -> pb::IdentityVerification {
    match status {
        IdentityStatus::Failed => pb::IdentityVerification::Failed,
        IdentityStatus::Passed => pb::IdentityVerification::Passed,
        IdentityStatus::Unknown => pb::IdentityVerification::Unknown,
        IdentityStatus::Pending => pb::IdentityVerification::Pending,
        IdentityStatus::ReportRequired => pb::IdentityVerification::ReportRequired,
        IdentityStatus::PrePassed => pb::IdentityVerification::PrePassed,
    }
}

fn passenger_to_proto(passenger: FrequentPassenger) -> pb::FrequentPassenger {
    pb::FrequentPassenger {
        id: passenger.id,
        name: passenger.name,
        id_type: id_type_to_proto(passenger.id_type) as i32,
        id_number: passenger.id_number_masked,
        phone: passenger.phone,
        passenger_type: passenger_type_to_proto(passenger.passenger_type) as i32,
        identity_verification: identity_to_proto(passenger.identity) as i32,
        phone_verified: passenger.phone_verified,
        is_account_holder: passenger.is_holder,
        birth_date: passenger
            .birth_date
            .map(|date| date.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        sex: sex_to_proto(passenger.sex) as i32,
        country_code: passenger.country_code.unwrap_or_default(),
        id_expiry_date: String::new(),
    }
}

fn saved_to_proto(saved: PassengerSaved) -> pb::UpsertFrequentPassengerResponse {
    pb::UpsertFrequentPassengerResponse {
        identity_verification: identity_to_proto(saved.identity) as i32,
        phone_verified: saved.phone_verified,
        phone_verification_code: saved.phone_verification_code.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PassengerType, Sex};

    #[test]
    fn every_identity_status_has_its_proto_value() {
        use IdentityStatus::*;
        let values: Vec<i32> = [Failed, Passed, Unknown, Pending, ReportRequired, PrePassed]
            .into_iter()
            .map(|status| identity_to_proto(status) as i32)
            .collect();
        assert_eq!(values, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn listed_passengers_keep_their_masked_number() {
        let passenger = FrequentPassenger {
            id: 9,
            name: "张小华".into(),
            id_type: crate::domain::IdType::ResidentIdCard,
            id_number_masked: "2308***********029".into(),
            phone: "15012341234".into(),
            passenger_type: PassengerType::Adult,
            identity: IdentityStatus::Pending,
            phone_verified: false,
            is_holder: true,
            birth_date: None,
            sex: Some(Sex::Female),
            country_code: Some("CN".into()),
        };
        let proto = passenger_to_proto(passenger);
        assert_eq!(proto.id_number, "2308***********029");
        assert_eq!(
            proto.identity_verification,
            pb::IdentityVerification::Pending as i32
        );
        assert_eq!(proto.sex, pb::Sex::Female as i32);
        assert!(proto.is_account_holder);
        assert!(proto.birth_date.is_empty());
    }
}
