//! AccountService end to end: railgate against a standalone Panhe
//! simulator on loopback (as if it were the real Panhe), whose clock the
//! test moves (identity checks take provider minutes, the delete lock a
//! month, codes expire in 60 s) and whose SMS outbox stands in for the
//! traveller's phone. Every RPC's success and each documented failure;
//! Book naming a frequent passenger.

use crate::booking::{book_request, offer};
use crate::scripted::Scripted;
use crate::support::{TestApp, details};
use chrono::TimeDelta;
use railgate::proto::account_service_client::AccountServiceClient;
use railgate::proto::{self as pb};
use railgate_sim::panhe::orders::CallbackMode;
use railgate_sim::panhe::{PanheSimConfig, SmsCode, shanghai_now};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use tonic::Code;
use tonic::transport::Channel;

/// The code this test's 12306 sends (the sandbox's is published; any
/// fixed one works the same).
const CODE: &str = "246810";
const PASSWORD: &str = "it_pass1";

/// railgate, the simulator, and the simulator's clock offset.
struct Harness {
    scripted: Scripted,
    offset_secs: Arc<AtomicI64>,
}

impl Harness {
    async fn start() -> Self {
        Self::start_with(SmsCode::Fixed(CODE.into())).await
    }

    async fn start_with(sms_code: SmsCode) -> Self {
        Self::launch(sms_code, CallbackMode::Drop).await
    }

    async fn launch(sms_code: SmsCode, callbacks: CallbackMode) -> Self {
        let offset_secs = Arc::new(AtomicI64::new(0));
        let offset = offset_secs.clone();
        let sim = PanheSimConfig {
            clock: Arc::new(move || {
                shanghai_now() + TimeDelta::seconds(offset.load(Ordering::SeqCst))
            }),
            sms_code,
            hold_delay: std::time::Duration::from_millis(200),
            ..PanheSimConfig::default()
        };
        let scripted = Scripted::launch(sim, callbacks, |_| {}).await;
        Self {
            scripted,
            offset_secs,
        }
    }

    /// Moves the simulator's provider time on.
    fn advance(&self, by: TimeDelta) {
        self.offset_secs
            .fetch_add(by.num_seconds(), Ordering::SeqCst);
    }

    fn accounts(&self) -> AccountServiceClient<Channel> {
        AccountServiceClient::new(self.scripted.app.channel.clone())
    }
}

fn account(user: &str) -> Option<pb::TrainAccount> {
    Some(pb::TrainAccount {
        username: user.into(),
        password: PASSWORD.into(),
    })
}

fn passenger(name: &str, id_number: &str) -> pb::FrequentPassenger {
    pb::FrequentPassenger {
        name: name.into(),
        id_type: pb::IdType::ResidentIdCard as i32,
        id_number: id_number.into(),
        phone: "13900139000".into(),
        passenger_type: pb::PassengerType::Adult as i32,
        ..Default::default()
    }
}

/// The refusal's gRPC code and ErrorInfo reason.
fn refusal(status: &tonic::Status) -> (Code, String) {
    let reason = details(status)
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default();
    (status.code(), reason)
}

async fn add(
    client: &mut AccountServiceClient<Channel>,
    user: &str,
    passenger: pb::FrequentPassenger,
) -> Result<pb::UpsertFrequentPassengerResponse, tonic::Status> {
    client
        .upsert_frequent_passenger(pb::UpsertFrequentPassengerRequest {
            account: account(user),
            passenger: Some(passenger),
            provider: 0,
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn list(
    client: &mut AccountServiceClient<Channel>,
    user: &str,
) -> Result<Vec<pb::FrequentPassenger>, tonic::Status> {
    client
        .list_frequent_passengers(pb::ListFrequentPassengersRequest {
            account: account(user),
            provider: 0,
        })
        .await
        .map(|answer| answer.into_inner().passengers)
}

#[tokio::test]
async fn a_login_that_needs_sms_says_so_and_passes_after_the_code() {
    let harness = Harness::start().await;
    let mut client = harness.accounts();
    let user = "it-sms-login";
    let check = |client: &mut AccountServiceClient<Channel>| {
        let mut client = client.clone();
        async move {
            client
                .check_login(pb::CheckLoginRequest {
                    account: account(user),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let first = check(&mut client).await;
    assert!(!first.passed);
    assert_eq!(first.next_step, pb::LoginNextStep::SendSms as i32);
    assert_eq!(first.sms_text, "666");
    assert_eq!(first.sms_recipient, "12306");
    assert_eq!(first.phone_last_digits.len(), 4, "{first:?}");

    // Until then the account cannot be used, and Book is told why.
    let refused = list(&mut client, user).await.unwrap_err();
    assert_eq!(
        refusal(&refused),
        (
            Code::FailedPrecondition,
            "TRAIN_ACCOUNT_SMS_REQUIRED".into()
        )
    );

    let wrong = client
        .verify_sms(pb::VerifySmsRequest {
            account: account(user),
            code: "135791".into(),
            provider: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&wrong),
        (Code::InvalidArgument, "VERIFICATION_CODE_INVALID".into())
    );
    client
        .verify_sms(pb::VerifySmsRequest {
            account: account(user),
            code: CODE.into(),
            provider: 0,
        })
        .await
        .unwrap();
    let second = check(&mut client).await;
    assert!(second.passed, "{second:?}");
    assert_eq!(second.next_step, pb::LoginNextStep::None as i32);

    // Another password is another answer, not an error.
    let wrong_password = client
        .check_login(pb::CheckLoginRequest {
            account: Some(pb::TrainAccount {
                username: user.into(),
                password: "other_pass2".into(),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!wrong_password.passed);
    assert_eq!(
        wrong_password.next_step,
        pb::LoginNextStep::CheckCredentials as i32
    );
}

#[tokio::test]
async fn a_booking_in_an_account_still_needing_sms_fails_its_hold_saying_why() {
    let harness = Harness::launch(SmsCode::Fixed(CODE.into()), CallbackMode::Deliver).await;
    let user = "it-sms-unverified-book";
    // 12306 knows the account (its login was checked) but it has not
    // passed the SMS check.
    harness
        .accounts()
        .check_login(pb::CheckLoginRequest {
            account: account(user),
            ..Default::default()
        })
        .await
        .unwrap();
    let app = &harness.scripted.app;
    let offer = offer(app).await;
    let mut request = book_request("it-sms-unverified-book", &offer.offer_id);
    request.account = account(user);
    let order = app
        .booking()
        .book(request)
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let failed = crate::scripted::wait_status(app, &order.order_id, pb::OrderStatus::Failed).await;
    assert_eq!(failed.failure_stage, pb::FailureStage::Hold as i32);
    assert!(
        failed.status_reason.contains("666至12306"),
        "{}",
        failed.status_reason
    );
}

#[tokio::test]
async fn an_sms_code_expires_after_a_minute() {
    let harness = Harness::start().await;
    let mut client = harness.accounts();
    let user = "it-sms-expiry";
    client
        .check_login(pb::CheckLoginRequest {
            account: account(user),
            ..Default::default()
        })
        .await
        .unwrap();
    harness.advance(TimeDelta::seconds(61));
    let expired = client
        .verify_sms(pb::VerifySmsRequest {
            account: account(user),
            code: CODE.into(),
            provider: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&expired),
        (Code::FailedPrecondition, "VERIFICATION_CODE_EXPIRED".into())
    );
}

#[tokio::test]
async fn a_frequent_passenger_is_added_verified_booked_and_kept_a_month() {
    let harness = Harness::start().await;
    let mut client = harness.accounts();
    let user = "it-passengers";
    let added = add(&mut client, user, passenger("王五", "110105199003070017"))
        .await
        .unwrap();
    assert_eq!(
        added.identity_verification,
        pb::IdentityVerification::Pending as i32
    );
    assert!(!added.phone_verified);
    assert_eq!(added.phone_verification_code.len(), 8, "{added:?}");

    let listed = list(&mut client, user).await.unwrap();
    let holder = listed.iter().find(|p| p.is_account_holder).expect("holder");
    assert_eq!(
        holder.identity_verification,
        pb::IdentityVerification::Passed as i32
    );
    let wang = listed
        .iter()
        .find(|p| p.name == "王五")
        .expect("王五 listed");
    assert_eq!(wang.id_number, "1101***********017", "masked as 12306 does");
    assert_eq!(
        wang.identity_verification,
        pb::IdentityVerification::Pending as i32
    );

    // Book naming the unverified passenger: refused before createOrder.
    let app = &harness.scripted.app;
    let offer = offer(app).await;
    let mut request = book_request("it-account-book", &offer.offer_id);
    request.account = account(user);
    request.passengers.truncate(1);
    request.passengers[0].name = "王五".into();
    request.passengers[0].id_number = "110105199003070017".into();
    request.passengers[0].frequent_passenger_id = wang.id;
    let orders_before = harness.scripted.sim.order_count();
    let refused = app.booking().book(request.clone()).await.unwrap_err();
    assert_eq!(
        refusal(&refused),
        (
            Code::FailedPrecondition,
            "PASSENGER_IDENTITY_UNVERIFIED".into()
        )
    );
    let info = details(&refused).error_info().unwrap().clone();
    assert_eq!(info.metadata["identity_verification"], "pending");
    assert_eq!(info.metadata["passenger_index"], "0");
    assert_eq!(harness.scripted.sim.order_count(), orders_before);

    // 12306 verifies within provider minutes; then the same key books.
    harness.advance(TimeDelta::minutes(11));
    let listed = list(&mut client, user).await.unwrap();
    let wang = listed.iter().find(|p| p.name == "王五").unwrap();
    assert_eq!(
        wang.identity_verification,
        pb::IdentityVerification::Passed as i32
    );
    let booked = app.booking().book(request.clone()).await.unwrap();
    assert!(booked.into_inner().order.is_some());
    assert_eq!(harness.scripted.sim.order_count(), orders_before + 1);

    // An id the account does not have, or someone else's.
    let mut stranger = request.clone();
    stranger.idempotency_key = "it-account-book-stranger".into();
    stranger.passengers[0].frequent_passenger_id = wang.id + 1_000;
    let refused = app.booking().book(stranger).await.unwrap_err();
    assert_eq!(
        refusal(&refused),
        (Code::NotFound, "FREQUENT_PASSENGER_NOT_FOUND".into())
    );
    let mut other = request.clone();
    other.idempotency_key = "it-account-book-other".into();
    other.passengers[0].id_number = "110105199003070025".into();
    let refused = app.booking().book(other).await.unwrap_err();
    assert_eq!(
        refusal(&refused),
        (
            Code::FailedPrecondition,
            "FREQUENT_PASSENGER_MISMATCH".into()
        )
    );

    // Update keeps the id.
    let mut update = passenger("王五", "110105199003070017");
    update.id = wang.id;
    update.passenger_type = pb::PassengerType::Student as i32;
    add(&mut client, user, update).await.unwrap();
    let listed = list(&mut client, user).await.unwrap();
    let wang = listed.iter().find(|p| p.name == "王五").unwrap();
    assert_eq!(wang.passenger_type, pb::PassengerType::Student as i32);

    // Verified less than a month ago: kept, with the date it may go.
    let delete = pb::DeleteFrequentPassengerRequest {
        account: account(user),
        name: "王五".into(),
        id_type: pb::IdType::ResidentIdCard as i32,
        id_number: "110105199003070017".into(),
        provider: 0,
    };
    let kept = client
        .delete_frequent_passenger(delete.clone())
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&kept),
        (Code::FailedPrecondition, "PASSENGER_DELETE_TOO_SOON".into())
    );
    let deletable_from = details(&kept).error_info().unwrap().metadata["deletable_from"].clone();
    assert!(
        chrono::NaiveDate::parse_from_str(&deletable_from, "%Y-%m-%d").is_ok(),
        "{deletable_from}"
    );
    assert!(!kept.message().contains("王五"), "{}", kept.message());

    harness.advance(TimeDelta::days(32));
    client
        .delete_frequent_passenger(delete.clone())
        .await
        .unwrap();
    let gone = client.delete_frequent_passenger(delete).await.unwrap_err();
    assert_eq!(
        refusal(&gone),
        (Code::NotFound, "FREQUENT_PASSENGER_NOT_FOUND".into())
    );
    let listed = list(&mut client, user).await.unwrap();
    assert!(listed.iter().all(|p| p.name != "王五"));

    // The holder's own passenger type.
    client
        .update_account_holder(pb::UpdateAccountHolderRequest {
            account: account(user),
            passenger_type: pb::PassengerType::Student as i32,
            provider: 0,
        })
        .await
        .unwrap();
    let listed = list(&mut client, user).await.unwrap();
    let holder = listed.iter().find(|p| p.is_account_holder).unwrap();
    assert_eq!(holder.passenger_type, pb::PassengerType::Student as i32);
}

#[tokio::test]
async fn the_sixteenth_passenger_is_refused() {
    let harness = Harness::start().await;
    let mut client = harness.accounts();
    let user = "it-passenger-cap";
    let ids = [
        "110105199003070017",
        "110105199003070025",
        "110105199003070033",
        "110105199003070041",
        "11010519900307005X",
        "110105199003070068",
        "110105199003070076",
        "110105199003070084",
        "110105199003070092",
        "110105199003070105",
        "110105199003070113",
        "110105199003070121",
        "11010519900307013X",
        "110105199003070148",
        "110105199003070156",
    ];
    // The holder is the first of 15.
    for (index, id) in ids[..14].iter().enumerate() {
        add(&mut client, user, passenger(&format!("乘客{index}"), id))
            .await
            .unwrap_or_else(|status| panic!("passenger {index}: {status:?}"));
    }
    assert_eq!(list(&mut client, user).await.unwrap().len(), 15);
    let refused = add(&mut client, user, passenger("乘客满", ids[14]))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&refused),
        (Code::FailedPrecondition, "FREQUENT_PASSENGER_LIMIT".into())
    );
}

#[tokio::test]
async fn face_photos_are_checked_before_panhe_sees_them() {
    let harness = Harness::start().await;
    let mut client = harness.accounts();
    let face = |user: &str, photos: Vec<Vec<u8>>| pb::VerifyFaceRequest {
        account: account(user),
        photos,
        provider: 0,
    };
    let too_large = client
        .verify_face(face("it-face", vec![vec![0xff; 100 * 1024 + 1]]))
        .await
        .unwrap_err();
    assert_eq!(too_large.code(), Code::InvalidArgument);
    assert!(
        crate::support::violations(&too_large)
            .iter()
            .any(|(field, _)| field == "photos[0]")
    );
    let three = client
        .verify_face(face("it-face", vec![vec![1; 10]; 3]))
        .await
        .unwrap_err();
    assert_eq!(three.code(), Code::InvalidArgument);
    client
        .verify_face(face("it-face", vec![vec![0xff; 100 * 1024], vec![1; 64]]))
        .await
        .unwrap();
    let failed = client
        .verify_face(face("it-face-fail", vec![vec![1; 64]]))
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&failed),
        (Code::FailedPrecondition, "FACE_VERIFICATION_FAILED".into())
    );
}

#[tokio::test]
async fn a_password_is_recovered_within_a_minute_and_changed_in_two_steps() {
    let harness = Harness::start().await;
    let mut client = harness.accounts();
    let user = "it-recovery";
    let sim = harness.scripted.sim.clone();
    // First sight creates the account; its holder is who recovers it.
    list(&mut client, user).await.unwrap();
    let holder = sim.account(user).unwrap().passengers[0].clone();
    let reset_request = |request_id: &str| pb::RequestPasswordResetRequest {
        request_id: request_id.into(),
        id_type: pb::IdType::ResidentIdCard as i32,
        id_number: holder.card_no.clone(),
        phone: holder.mobile.clone(),
        provider: 0,
    };

    // Too late: the code lives 60 s.
    client
        .request_password_reset(reset_request("it-reset-late"))
        .await
        .unwrap();
    harness.advance(TimeDelta::seconds(61));
    let late = client
        .reset_password(pb::ResetPasswordRequest {
            request_id: "it-reset-late".into(),
            new_password: "new_pass2".into(),
            verification_code: CODE.into(),
            provider: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&late),
        (Code::FailedPrecondition, "VERIFICATION_CODE_EXPIRED".into())
    );

    // In time, and the new password is the one that logs in.
    client
        .request_password_reset(reset_request("it-reset-on-time"))
        .await
        .unwrap();
    let code = sim.last_sms_code(&holder.mobile).expect("an SMS was sent");
    let weak = client
        .reset_password(pb::ResetPasswordRequest {
            request_id: "it-reset-on-time".into(),
            new_password: "abcdefgh".into(),
            verification_code: code.clone(),
            provider: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(
        weak.code(),
        Code::InvalidArgument,
        "12306's rule, checked first"
    );
    client
        .reset_password(pb::ResetPasswordRequest {
            request_id: "it-reset-on-time".into(),
            new_password: "new_pass2".into(),
            verification_code: code,
            provider: 0,
        })
        .await
        .unwrap();
    assert_eq!(sim.account(user).unwrap().password, "new_pass2");

    // Change it back, in two steps.
    let recovered = Some(pb::TrainAccount {
        username: user.into(),
        password: "new_pass2".into(),
    });
    client
        .request_password_change(pb::RequestPasswordChangeRequest {
            account: recovered.clone(),
            new_password: PASSWORD.into(),
            provider: 0,
        })
        .await
        .unwrap();
    let code = sim.last_sms_code(&holder.mobile).unwrap();
    client
        .change_password(pb::ChangePasswordRequest {
            account: recovered,
            new_password: PASSWORD.into(),
            verification_code: code,
            provider: 0,
        })
        .await
        .unwrap();
    assert_eq!(sim.account(user).unwrap().password, PASSWORD);
}

#[tokio::test]
async fn an_account_is_registered_with_the_999_code() {
    let harness = Harness::start_with(SmsCode::Random).await;
    let mut client = harness.accounts();
    let sim = harness.scripted.sim.clone();
    let holder = pb::AccountHolder {
        name: "赵六".into(),
        id_type: pb::IdType::ResidentIdCard as i32,
        id_number: "110105199003070164".into(),
        phone: "13700137000".into(),
        passenger_type: pb::PassengerType::Adult as i32,
        ..Default::default()
    };
    let register = |user: &str, password: &str, code: &str| pb::RegisterAccountRequest {
        account: Some(pb::TrainAccount {
            username: user.into(),
            password: password.into(),
        }),
        holder: Some(holder.clone()),
        sms_code: code.into(),
        provider: 0,
    };
    let weak = client
        .register_account(register("it-new", "password", "123456"))
        .await
        .unwrap_err();
    assert_eq!(weak.code(), Code::InvalidArgument);

    let code = sim.text_999("13700137000");
    let answer = client
        .register_account(register("it-new", "new_pass1", &code))
        .await
        .unwrap()
        .into_inner();
    assert!(answer.registered, "{answer:?}");
    assert!(!answer.message.is_empty());
    assert!(sim.account("it-new").unwrap().registered);

    let code = sim.text_999("13700137000");
    let again = client
        .register_account(register("it-new", "new_pass1", &code))
        .await
        .unwrap()
        .into_inner();
    assert!(!again.registered);
    assert_eq!(again.message, "该注册名已存在");
}

#[tokio::test]
async fn accounts_are_panhes_alone() {
    // The sandbox: Panhe and Juhe both configured.
    let app = TestApp::spawn().await;
    let mut client = AccountServiceClient::new(app.channel.clone());
    let refused = client
        .check_login(pb::CheckLoginRequest {
            account: account("it-juhe"),
            provider: pb::Provider::Juhe as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        refusal(&refused),
        (Code::FailedPrecondition, "CAPABILITY_UNSUPPORTED".into())
    );
    // Missing credentials are named, not sent.
    let missing = client
        .list_frequent_passengers(pb::ListFrequentPassengersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::InvalidArgument);
    assert!(
        crate::support::violations(&missing)
            .iter()
            .any(|(field, _)| field == "account")
    );
}
