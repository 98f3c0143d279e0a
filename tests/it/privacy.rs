//! Privacy: a full booking through the real `railgate serve` binary with
//! debug-level JSON logs (railgate itself at trace), including requests
//! that are refused, then a search of everything the process printed and
//! every answer it gave for the passengers' names, ID numbers and phones
//! and the 12306 credentials. Masked forms must appear (so the logs were
//! really read); raw values must not. The 12306 account calls too: their
//! passwords and SMS, recovery and phone-verification codes appear in no
//! log line, span or error.

use crate::binary::{railgate, terminate};
use crate::booking::{offer_via, wait_for_via};
use railgate::domain::IdNumber;
use railgate::proto::{self as pb, booking_service_client::BookingServiceClient};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use tonic::transport::Channel;

/// Values that occur nowhere else, so finding one means it leaked.
const TRAVELLER_NAMES: [&str; 2] = ["欧阳锋", "黄药师"];
const TRAVELLER_PHONES: [&str; 2] = ["13957246801", "15068421357"];
const CONTACT_NAME: &str = "洪七公";
const CONTACT_PHONE: &str = "18612093574";
const ACCOUNT_USER: &str = "probe-12306-user-7q";
const ACCOUNT_PASSWORD: &str = "probe-Secret-Pa55w0rd";
/// A passenger the sandbox refuses to hold seats for (identity unverified).
const UNVERIFIED_NAME: &str = "慕容未核验";
/// Longer than Panhe's 30 characters: railgate takes it, Panhe refuses it.
const OVERLONG_NAME: &str =
    "司徒无忌长孙无垢公孙大娘东方不败令狐冲岳不群任我行林平之田伯光仪琳师太";
/// Refused by railgate: a wrong check digit and a 10-digit phone.
const BAD_ID_FIRST17: &str = "65010219800229771";
const BAD_PHONE: &str = "1776543210";
/// The account of the AccountService calls (an `sms` account: its login
/// needs the SMS code) and the passwords they send.
const SMS_ACCOUNT_USER: &str = "probe-sms-acct-k3v9";
const NEW_PASSWORD: &str = "probe_NewPass_77";
const WRONG_CODE: &str = "135791";
const ACCOUNT_PASSENGER: &str = "上官金虹";
const ACCOUNT_PASSENGER_ID_FIRST17: &str = "11010819750412771";

/// An 18-character resident ID: `first17` and its GB 11643 check character.
fn resident_id(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    format!("{first17}{}", char::from(CHECK[(sum % 11) as usize]))
}

fn traveller_ids() -> [String; 2] {
    [
        resident_id("31010419870412301"),
        resident_id("42010619921130452"),
    ]
}

/// The same 17 digits with a check character that does not match.
fn bad_id() -> String {
    let good = resident_id(BAD_ID_FIRST17);
    let wrong = if good.ends_with('1') { '2' } else { '1' };
    format!("{BAD_ID_FIRST17}{wrong}")
}

fn passenger(name: &str, id_number: &str, phone: &str) -> pb::Passenger {
    pb::Passenger {
        name: name.into(),
        id_type: pb::IdType::ResidentIdCard as i32,
        id_number: id_number.into(),
        passenger_type: pb::PassengerType::Adult as i32,
        phone: phone.into(),
        ..Default::default()
    }
}

fn book_request(key: &str, offer_id: &str, passengers: Vec<pb::Passenger>) -> pb::BookRequest {
    pb::BookRequest {
        idempotency_key: key.into(),
        offer_id: offer_id.into(),
        passengers,
        contact: Some(pb::Contact {
            name: CONTACT_NAME.into(),
            phone: CONTACT_PHONE.into(),
        }),
        account: Some(pb::TrainAccount {
            username: ACCOUNT_USER.into(),
            password: ACCOUNT_PASSWORD.into(),
        }),
        ..Default::default()
    }
}

fn travellers() -> Vec<pb::Passenger> {
    let ids = traveller_ids();
    (0..2)
        .map(|index| passenger(TRAVELLER_NAMES[index], &ids[index], TRAVELLER_PHONES[index]))
        .collect()
}

/// Every raw value, with the parts of ID numbers and phones that masking
/// hides (a leak of the middle digits alone is still a leak).
fn secrets() -> Vec<String> {
    let mut secrets: Vec<String> = [
        CONTACT_NAME,
        CONTACT_PHONE,
        ACCOUNT_USER,
        ACCOUNT_PASSWORD,
        UNVERIFIED_NAME,
        OVERLONG_NAME,
        BAD_PHONE,
        SMS_ACCOUNT_USER,
        NEW_PASSWORD,
        WRONG_CODE,
        ACCOUNT_PASSENGER,
        // The sandbox's SMS code, as a JSON or log value would quote it.
        "\"123456\"",
        "=123456",
    ]
    .into_iter()
    .chain(TRAVELLER_NAMES)
    .map(str::to_owned)
    .collect();
    for id in traveller_ids()
        .into_iter()
        .chain([bad_id(), resident_id(ACCOUNT_PASSENGER_ID_FIRST17)])
    {
        secrets.push(id[6..14].to_owned()); // the date of birth
        secrets.push(id);
    }
    for phone in TRAVELLER_PHONES.into_iter().chain([CONTACT_PHONE]) {
        secrets.push(phone[3..].to_owned());
    }
    secrets
}

/// `railgate serve` in sandbox mode with JSON logs at debug level, its
/// output drained by threads so logging never blocks on a full pipe.
struct LoggedServer {
    child: Child,
    grpc_addr: String,
    http_addr: String,
    lines: mpsc::Receiver<String>,
    first_lines: Vec<String>,
    stderr: JoinHandle<String>,
    _data_dir: tempfile::TempDir,
}

impl LoggedServer {
    /// Started with `extra` settings too.
    fn start(extra: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut env = vec![
            ("RAILGATE_GRPC_ADDR", "127.0.0.1:0"),
            ("RAILGATE_HTTP_ADDR", "127.0.0.1:0"),
            ("RAILGATE_DATA_DIR", data_dir.path().to_str().unwrap()),
            ("RAILGATE_LOG_FORMAT", "json"),
            ("RAILGATE_LOG", "railgate=trace,debug"),
            ("RAILGATE_SANDBOX_CLOCK_SCALE", "60"),
            ("RAILGATE_RECONCILE_INTERVAL_MS", "100"),
        ];
        env.extend_from_slice(extra);
        let mut child = railgate(&["serve"], &env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start railgate");
        let (sender, lines) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr_pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            text
        });
        // The sandbox line names the bound gRPC address.
        let mut first_lines = Vec::new();
        let (grpc_addr, http_addr) = loop {
            let line = lines
                .recv()
                .unwrap_or_else(|_| panic!("railgate exited before starting: {first_lines:?}"));
            let parsed: Option<serde_json::Value> = serde_json::from_str(&line).ok();
            first_lines.push(line);
            if let Some(line) = parsed.as_ref()
                && let (Some(grpc), Some(http)) = (line["grpc"].as_str(), line["http"].as_str())
            {
                break (grpc.to_owned(), http.to_owned());
            }
        };
        Self {
            child,
            grpc_addr,
            http_addr,
            lines,
            first_lines,
            stderr,
            _data_dir: data_dir,
        }
    }

    async fn client(&self) -> BookingServiceClient<Channel> {
        let channel = Channel::from_shared(format!("http://{}", self.grpc_addr))
            .unwrap()
            .connect()
            .await
            .expect("connect to railgate");
        BookingServiceClient::new(channel)
    }

    /// Stops it with SIGTERM; returns everything it printed. Waits on a
    /// blocking thread: railgate drains its connections before it exits,
    /// and the client's connection task needs this runtime to close.
    async fn stop(self) -> String {
        let Self {
            mut child,
            lines,
            first_lines,
            stderr,
            ..
        } = self;
        terminate(&child);
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "clean exit on SIGTERM: {status:?}");
        let mut output = first_lines.join("\n");
        for line in lines.iter() {
            output.push('\n');
            output.push_str(&line);
        }
        output.push('\n');
        output.push_str(&stderr.join().unwrap());
        output
    }
}

fn has_status(status: pb::OrderStatus) -> impl Fn(&pb::Order) -> bool {
    move |order| order.status == status as i32
}

/// Book, hold, pay, issue, refund one ticket and change the other; returns
/// every answer as text.
async fn full_booking(client: &BookingServiceClient<Channel>) -> Vec<String> {
    let mut answers = Vec::new();
    let offer = offer_via(&mut client.clone(), 3).await;
    let booked = client
        .clone()
        .book(book_request("privacy-book", &offer.offer_id, travellers()))
        .await
        .unwrap()
        .into_inner();
    answers.push(format!("{booked:?}"));
    let order_id = booked.order.unwrap().order_id;
    let held = wait_for_via(
        &mut client.clone(),
        &order_id,
        has_status(pb::OrderStatus::Held),
    )
    .await;
    let confirmed = client
        .clone()
        .confirm(pb::ConfirmRequest {
            idempotency_key: "privacy-confirm".into(),
            order_id: order_id.clone(),
            expected_amount_fen: held.total_amount_fen,
        })
        .await
        .unwrap()
        .into_inner();
    answers.push(format!("{confirmed:?}"));
    let issued = wait_for_via(
        &mut client.clone(),
        &order_id,
        has_status(pb::OrderStatus::Issued),
    )
    .await;
    answers.push(format!("{issued:?}"));

    let refund = client
        .clone()
        .refund(pb::RefundRequest {
            idempotency_key: "privacy-refund".into(),
            order_id: order_id.clone(),
            ticket_id: issued.tickets[0].ticket_id.clone(),
            remark: String::new(),
            quote_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    answers.push(format!("{refund:?}"));
    let refunded = wait_for_via(&mut client.clone(), &order_id, |order| {
        order.tickets[0].status == pb::TicketStatus::Refunded as i32
    })
    .await;
    answers.push(format!("{refunded:?}"));

    let later = offer_via(&mut client.clone(), 5).await;
    let change = client
        .clone()
        .change(pb::ChangeRequest {
            idempotency_key: "privacy-change".into(),
            order_id: order_id.clone(),
            ticket_ids: vec![issued.tickets[1].ticket_id.clone()],
            offer_id: later.offer_id,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    answers.push(format!("{change:?}"));
    let change_id = change.change.unwrap().change_id;
    let change_held = wait_for_via(&mut client.clone(), &order_id, |order| {
        order.changes.iter().any(|change| {
            change.change_id == change_id && change.status == pb::ChangeStatus::Held as i32
        })
    })
    .await;
    client
        .clone()
        .confirm_change(pb::ConfirmChangeRequest {
            idempotency_key: "privacy-change-confirm".into(),
            order_id: order_id.clone(),
            change_id: change_id.clone(),
            expected_amount_fen: change_held.changes[0].need_to_pay_fen,
        })
        .await
        .unwrap();
    let changed = wait_for_via(&mut client.clone(), &order_id, |order| {
        order.tickets[1].status == pb::TicketStatus::Changed as i32
    })
    .await;
    answers.push(format!("{changed:?}"));
    answers
}

/// The message and decoded details of a refused call.
fn refusal(status: &tonic::Status) -> String {
    format!(
        "{:?} {} {:?}",
        status.code(),
        status.message(),
        crate::support::details(status)
    )
}

/// The 12306 account calls a traveller makes before booking: a login that
/// needs SMS verification, a wrong code and the right one, a frequent
/// passenger added and listed, a password recovery with a wrong code and a
/// password change asked for. Returns the refusals as text, and the phone
/// verification code 12306 handed out (a secret too).
async fn account_calls(grpc_addr: &str) -> (Vec<String>, String) {
    use pb::account_service_client::AccountServiceClient;
    let channel = Channel::from_shared(format!("http://{grpc_addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = AccountServiceClient::new(channel);
    let account = || {
        Some(pb::TrainAccount {
            username: SMS_ACCOUNT_USER.into(),
            password: ACCOUNT_PASSWORD.into(),
        })
    };
    let mut refusals = Vec::new();
    let check = client
        .check_login(pb::CheckLoginRequest {
            account: account(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(check.next_step, pb::LoginNextStep::SendSms as i32);
    for code in [WRONG_CODE, "123456"] {
        let verified = client
            .verify_sms(pb::VerifySmsRequest {
                account: account(),
                code: code.into(),
                provider: 0,
            })
            .await;
        if let Err(status) = verified {
            refusals.push(refusal(&status));
        }
    }
    assert_eq!(
        refusals.len(),
        1,
        "only the wrong code is refused: {refusals:?}"
    );
    let added = client
        .upsert_frequent_passenger(pb::UpsertFrequentPassengerRequest {
            account: account(),
            passenger: Some(pb::FrequentPassenger {
                name: ACCOUNT_PASSENGER.into(),
                id_type: pb::IdType::ResidentIdCard as i32,
                id_number: resident_id(ACCOUNT_PASSENGER_ID_FIRST17),
                phone: TRAVELLER_PHONES[0].into(),
                passenger_type: pb::PassengerType::Adult as i32,
                ..Default::default()
            }),
            provider: 0,
        })
        .await
        .unwrap()
        .into_inner();
    client
        .list_frequent_passengers(pb::ListFrequentPassengersRequest {
            account: account(),
            provider: 0,
        })
        .await
        .unwrap();
    // Deleted at once: 12306 has not verified the passenger yet.
    client
        .delete_frequent_passenger(pb::DeleteFrequentPassengerRequest {
            account: account(),
            name: ACCOUNT_PASSENGER.into(),
            id_type: pb::IdType::ResidentIdCard as i32,
            id_number: resident_id(ACCOUNT_PASSENGER_ID_FIRST17),
            provider: 0,
        })
        .await
        .unwrap();
    let reset = client
        .reset_password(pb::ResetPasswordRequest {
            request_id: "probe-recovery".into(),
            new_password: NEW_PASSWORD.into(),
            verification_code: WRONG_CODE.into(),
            provider: 0,
        })
        .await
        .unwrap_err();
    refusals.push(refusal(&reset));
    client
        .request_password_change(pb::RequestPasswordChangeRequest {
            account: account(),
            new_password: NEW_PASSWORD.into(),
            provider: 0,
        })
        .await
        .unwrap();
    (refusals, added.phone_verification_code)
}

/// Requests refused by railgate, by the provider at once, and by the
/// provider later; each refusal would be the natural place to echo the
/// offending value. Returns every answer as text.
async fn refused_requests(client: &BookingServiceClient<Channel>) -> Vec<String> {
    let mut answers = Vec::new();
    let offer = offer_via(&mut client.clone(), 4).await;

    // railgate's own validation: bad check digit, bad phone.
    let status = client
        .clone()
        .book(book_request(
            "privacy-invalid",
            &offer.offer_id,
            vec![passenger(TRAVELLER_NAMES[0], &bad_id(), BAD_PHONE)],
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    answers.push(refusal(&status));

    // The provider refuses createOrder: the name is too long for Panhe.
    let ids = traveller_ids();
    let status = client
        .clone()
        .book(book_request(
            "privacy-overlong",
            &offer.offer_id,
            vec![passenger(OVERLONG_NAME, &ids[0], TRAVELLER_PHONES[0])],
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    answers.push(refusal(&status));

    // The provider fails the hold later: identity not verified.
    let booked = client
        .clone()
        .book(book_request(
            "privacy-unverified",
            &offer.offer_id,
            vec![passenger(UNVERIFIED_NAME, &ids[1], TRAVELLER_PHONES[1])],
        ))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    let failed = wait_for_via(
        &mut client.clone(),
        &booked.order_id,
        has_status(pb::OrderStatus::Failed),
    )
    .await;
    assert!(!failed.status_reason.is_empty(), "{failed:?}");
    assert_eq!(
        failed.failure_stage,
        pb::FailureStage::Hold as i32,
        "{failed:?}"
    );
    answers.push(format!("{failed:?}"));

    // The same key again with other passengers.
    let status = client
        .clone()
        .book(book_request(
            "privacy-unverified",
            &offer.offer_id,
            travellers(),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::AlreadyExists, "{status:?}");
    answers.push(refusal(&status));
    answers
}

/// Whether `line` holds `secret` as a value of its own: an all-digit
/// secret inside a longer run of digits is not it. A debug log line carries
/// timings such as `"elapsed_secs":0.001357913`, which hold any short digit
/// string sooner or later (a CI run once found the wrong code 135791 there);
/// a leaked code, phone or ID number stands apart from other digits.
fn contains_value(line: &str, secret: &str) -> bool {
    let digit_at = |index: usize| line.as_bytes().get(index).is_some_and(u8::is_ascii_digit);
    let starts_with_digit = secret.starts_with(|c: char| c.is_ascii_digit());
    let ends_with_digit = secret.ends_with(|c: char| c.is_ascii_digit());
    line.match_indices(secret).any(|(start, _)| {
        let digit_before = starts_with_digit && start > 0 && digit_at(start - 1);
        let digit_after = ends_with_digit && digit_at(start + secret.len());
        !digit_before && !digit_after
    })
}

#[test]
fn a_secret_is_found_as_a_value_not_inside_a_longer_number() {
    assert!(contains_value(r#"{"code":"135791"}"#, "135791"));
    assert!(contains_value("code=135791 rest", "135791"));
    assert!(contains_value("135791", "135791"));
    assert!(!contains_value(r#""elapsed_secs":0.001357913"#, "135791"));
    assert!(!contains_value("91357911", "135791"));
    // Once inside a number, once alone: still a leak.
    assert!(contains_value("0.001357913 and 135791", "135791"));
    assert!(contains_value("name 欧阳锋", "欧阳锋"));
}

#[test]
fn fixture_ids_are_valid_and_the_bad_one_is_not() {
    for id in traveller_ids() {
        assert!(
            IdNumber::new(id.clone()).unwrap().is_valid_resident_id(),
            "{id}"
        );
    }
    assert!(!IdNumber::new(bad_id()).unwrap().is_valid_resident_id());
    assert!(OVERLONG_NAME.chars().count() > 30 && OVERLONG_NAME.chars().count() <= 64);
}

#[tokio::test]
async fn no_personal_data_in_logs_answers_or_exported_spans_of_a_full_booking() {
    // Every trace exported, to a collector that keeps them: the spans and
    // their events are checked as the logs are.
    let collector = railgate_sim::otlp::Collector::keeping();
    let endpoint = format!("http://{}", collector.clone().spawn().await.unwrap());
    let server = LoggedServer::start(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_TRACES_SAMPLER", "always_on"),
    ]);
    let client = server.client().await;
    let mut answers = full_booking(&client).await;
    answers.extend(refused_requests(&client).await);
    let (account_refusals, phone_code) = account_calls(&server.grpc_addr).await;
    assert_eq!(phone_code.len(), 8, "12306 handed out a phone code");
    answers.extend(account_refusals);
    drop(client);
    // SIGTERM: railgate exports what is still batched before it exits.
    let logs = server.stop().await;
    let spans = collector.spans();
    assert!(
        spans.iter().any(|span| span.span.name.ends_with("/Refund")),
        "the exported spans cover the booking's calls"
    );
    let exported: Vec<String> = spans
        .iter()
        .map(|span| {
            format!(
                "{} {:?} {:?}",
                span.span.name,
                span.attributes(),
                span.span.events
            )
        })
        .collect();

    for (source, text) in [
        ("logs", &logs),
        ("answers", &answers.join("\n")),
        ("exported spans", &exported.join("\n")),
    ] {
        for secret in secrets().into_iter().chain([phone_code.clone()]) {
            let leaks: Vec<&str> = text
                .lines()
                .filter(|line| contains_value(line, &secret))
                .collect();
            assert!(
                leaks.is_empty(),
                "{secret:?} leaked in the {source}: {leaks:#?}"
            );
        }
    }
    // The logs were read, and name the booking with masked passengers.
    for expected in [
        "\"message\":\"order booked\"",
        "欧*锋,黄*师",
        "\"message\":\"booking failed at the provider\"",
        "\"level\":\"DEBUG\"",
        // Account changes are audited like every mutating call.
        "\"rpc\":\"UpsertFrequentPassenger\"",
        "\"reason\":\"VERIFICATION_CODE_INVALID\"",
    ] {
        assert!(
            logs.contains(expected),
            "{expected} in the logs ({} lines read)",
            logs.lines().count()
        );
    }
    assert!(
        answers.iter().any(|answer| answer.contains("欧*锋")),
        "answers carry masked names: {answers:#?}"
    );
}

#[tokio::test]
async fn a_flood_of_refused_callbacks_costs_a_few_log_lines() {
    let server = LoggedServer::start(&[]);
    let http = reqwest::Client::new();
    for attempt in 0..200 {
        let provider = if attempt % 2 == 0 { "panhe" } else { "juhe" };
        let status = http
            .post(format!(
                "http://{}/callbacks/{provider}/wrong-secret-{attempt}/order",
                server.http_addr
            ))
            .body("{}")
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status.as_u16(), 403);
    }
    let output = server.stop().await;
    let refused = output
        .lines()
        .filter(|line| line.contains("wrong secret in the path"))
        .count();
    assert!(
        (1..=10).contains(&refused),
        "200 refusals, {refused} log lines"
    );
}
