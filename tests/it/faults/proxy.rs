//! A fault-injecting TCP proxy between railgate and one simulator.
//!
//! reqwest pools connections, so a proxy that only saw bytes could not
//! tell one request from the next. This one makes every exchange a
//! connection of its own instead: it reads the request (head and
//! `Content-Length` body), forwards it with `Connection: close`, reads the
//! simulator's whole answer (the simulator closes after it), and sends it
//! on with `Connection: close` too, so the client never reuses the
//! connection. It thus knows each request's path and where the answer's
//! head ends, which is all the faults need.
//!
//! Every fault but one acts after the simulator has answered: the request
//! had its effect there, and only the answer is delayed, lost or broken.
//! That is the case a client cannot tell from "nothing happened", the one
//! that must never lead to a second booking or payment. The exception,
//! [`Fault::Refused`], closes the listening socket, so connecting fails
//! (ECONNREFUSED) and nothing is sent at all; it cannot look at paths (no
//! request is read), so it lasts from [`FaultProxy::arm`] to
//! [`FaultProxy::disarm`] for every request.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Added before the answer by [`Fault::Latency`]: well under the provider
/// timeout the tests configure, so the call must succeed.
pub const LATENCY: Duration = Duration::from_millis(300);
/// [`Fault::SlowDrip`] sends the body in this many pieces…
const DRIP_PIECES: usize = 30;
/// …this far apart: each piece comes quickly, the whole body (3 s) does
/// not, so only a deadline on the whole call catches it.
const DRIP_GAP: Duration = Duration::from_millis(100);
/// How long a stalled answer is held open at most (the client gives up
/// long before).
const STALL_LIMIT: Duration = Duration::from_secs(30);
/// The largest request head read.
const MAX_HEAD: usize = 64 * 1024;

/// What goes wrong with an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The answer comes [`LATENCY`] late.
    Latency,
    /// Nothing listens: connecting is refused, nothing is sent.
    Refused,
    /// The connection is reset (RST) instead of the answer.
    ResetBeforeAnswer,
    /// The head and half the body arrive, then a reset.
    ResetMidBody,
    /// The head (with the full `Content-Length`) and half the body arrive,
    /// then an orderly close.
    TruncatedBody,
    /// The head arrives, the body never does.
    StallAfterHeaders,
    /// A gateway's `502 Bad Gateway` HTML page instead of the answer.
    ServerErrorHtml,
    /// The body trickles in [`DRIP_PIECES`] pieces, [`DRIP_GAP`] apart.
    SlowDrip,
}

impl Fault {
    /// Every fault, in the matrix's column order.
    pub const ALL: [Fault; 8] = [
        Fault::Latency,
        Fault::Refused,
        Fault::ResetBeforeAnswer,
        Fault::ResetMidBody,
        Fault::TruncatedBody,
        Fault::StallAfterHeaders,
        Fault::ServerErrorHtml,
        Fault::SlowDrip,
    ];

    /// The name the matrix shows.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Latency => "latency 300 ms",
            Fault::Refused => "connection refused",
            Fault::ResetBeforeAnswer => "reset before answer",
            Fault::ResetMidBody => "reset mid-body",
            Fault::TruncatedBody => "truncated body",
            Fault::StallAfterHeaders => "stall after headers",
            Fault::ServerErrorHtml => "502 HTML page",
            Fault::SlowDrip => "slow drip (3 s)",
        }
    }
}

/// Which requests a fault applies to.
#[derive(Debug, Clone)]
struct Rule {
    fault: Fault,
    /// Requests whose path ends with this.
    path_suffix: String,
    /// How many more requests it applies to; `None`: until disarmed.
    remaining: Option<u32>,
}

/// One request the proxy read, as the tests count them.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request path, without the query.
    pub path: String,
    /// The fault applied to it.
    pub fault: Option<Fault>,
}

struct Shared {
    upstream: SocketAddr,
    rule: Mutex<Option<Rule>>,
    exchanges: Mutex<Vec<Exchange>>,
    /// What the proxy could not handle (a chunked request, a head too
    /// long): a test bug, reported by [`FaultProxy::problems`].
    problems: Mutex<Vec<String>>,
    /// Requests whose path ends with this wait (unforwarded) until the
    /// fault is disarmed.
    hold: watch::Sender<Option<String>>,
}

impl Shared {
    /// The fault for a request to `path`, counting it against its rule.
    fn fault_for(&self, path: &str) -> Option<Fault> {
        let mut rule = self.rule.lock().unwrap_or_else(PoisonError::into_inner);
        let current = rule.as_mut()?;
        if current.fault == Fault::Refused || !path.ends_with(&current.path_suffix) {
            return None;
        }
        let fault = current.fault;
        if let Some(remaining) = &mut current.remaining {
            *remaining -= 1;
            if *remaining == 0 {
                *rule = None;
            }
        }
        Some(fault)
    }

    fn record(&self, exchange: Exchange) {
        self.exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(exchange);
    }

    fn problem(&self, problem: String) {
        self.problems
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(problem);
    }
}

/// The proxy: listens on a loopback port of its own, forwards to
/// `upstream`. Stops when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// Whether the proxy should listen (false while [`Fault::Refused`]).
    open: watch::Sender<bool>,
    /// Whether it does.
    listening: watch::Receiver<bool>,
}

impl FaultProxy {
    /// A proxy in front of `upstream`, passing everything through.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            upstream,
            rule: Mutex::new(None),
            exchanges: Mutex::new(Vec::new()),
            problems: Mutex::new(Vec::new()),
            hold: watch::channel(None).0,
        });
        let (open, open_rx) = watch::channel(true);
        let (listening_tx, listening) = watch::channel(true);
        tokio::spawn(accept_loop(
            listener,
            Arc::clone(&shared),
            open_rx,
            listening_tx,
        ));
        FaultProxy {
            addr,
            shared,
            open,
            listening,
        }
    }

    /// Where railgate should send its requests.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Applies `fault` to every request whose path ends with
    /// `path_suffix` until [`Self::disarm`] ([`Fault::Refused`]: to every
    /// connection). Returns once it is in force.
    pub async fn arm(&self, fault: Fault, path_suffix: &str) {
        self.set_rule(fault, path_suffix, None).await;
    }

    /// As [`Self::arm`], and requests whose path ends with `held_suffix`
    /// wait until [`Self::disarm`]. The matrix holds the reconciler's order
    /// detail reads this way while the call under test runs, so that the
    /// call's answer is railgate's own reaction to the fault, not a race
    /// with a reconciler round that may already have read the outcome.
    pub async fn arm_holding(&self, fault: Fault, path_suffix: &str, held_suffix: &str) {
        self.shared.hold.send_replace(Some(held_suffix.to_owned()));
        self.arm(fault, path_suffix).await;
    }

    /// As [`Self::arm`], for the next `count` matching requests only (not
    /// for [`Fault::Refused`], which sees no requests).
    pub async fn arm_next(&self, fault: Fault, path_suffix: &str, count: u32) {
        assert!(fault != Fault::Refused && count > 0, "a count of requests");
        self.set_rule(fault, path_suffix, Some(count)).await;
    }

    async fn set_rule(&self, fault: Fault, path_suffix: &str, remaining: Option<u32>) {
        *self
            .shared
            .rule
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Rule {
            fault,
            path_suffix: path_suffix.to_owned(),
            remaining,
        });
        if fault == Fault::Refused {
            self.set_open(false).await;
        }
    }

    /// Everything passes through again (held requests go on). Returns once
    /// the proxy listens.
    pub async fn disarm(&self) {
        self.shared
            .rule
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        self.shared.hold.send_replace(None);
        self.set_open(true).await;
    }

    async fn set_open(&self, open: bool) {
        self.open.send_replace(open);
        let mut listening = self.listening.clone();
        listening
            .wait_for(|listening| *listening == open)
            .await
            .expect("the proxy's accept loop runs");
    }

    /// Every request read so far, in order.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.shared
            .exchanges
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many requests to a path ending with `path_suffix` reached the
    /// simulator (every request read is forwarded).
    pub fn sent(&self, path_suffix: &str) -> usize {
        self.exchanges()
            .iter()
            .filter(|exchange| exchange.path.ends_with(path_suffix))
            .count()
    }

    /// How many requests to such a path had a fault applied.
    pub fn faulted(&self, path_suffix: &str) -> usize {
        self.exchanges()
            .iter()
            .filter(|exchange| exchange.path.ends_with(path_suffix) && exchange.fault.is_some())
            .count()
    }

    /// What the proxy could not handle; empty in a sound test.
    pub fn problems(&self) -> Vec<String> {
        self.shared
            .problems
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Accepts while open; while closed, holds no socket at all, so the kernel
/// refuses connections; on reopening binds the same address again.
async fn accept_loop(
    first: TcpListener,
    shared: Arc<Shared>,
    mut open: watch::Receiver<bool>,
    listening: watch::Sender<bool>,
) {
    let addr = first.local_addr().unwrap();
    let mut bound = Some(first);
    loop {
        let listener = match bound.take() {
            Some(listener) => listener,
            None => rebind(addr).await,
        };
        listening.send_replace(true);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    if let Ok((socket, _)) = accepted {
                        tokio::spawn(exchange(socket, Arc::clone(&shared)));
                    }
                }
                closed = open.wait_for(|open| !*open) => {
                    if closed.is_err() {
                        return; // The proxy was dropped.
                    }
                    break;
                }
            }
        }
        drop(listener);
        listening.send_replace(false);
        if open.wait_for(|open| *open).await.is_err() {
            return;
        }
    }
}

/// Binds `addr` again. The port was free a moment ago and ports are
/// handed out at random, so another socket taking it meanwhile is rare;
/// a short retry covers a connection of ours lingering on it.
async fn rebind(addr: SocketAddr) -> TcpListener {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match TcpListener::bind(addr).await {
            Ok(listener) => return listener,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "the proxy cannot listen on {addr} again: {error}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// One request and its answer, with the fault its path calls for.
async fn exchange(mut client: TcpStream, shared: Arc<Shared>) {
    let request = match read_request(&mut client).await {
        Ok(Some(request)) => request,
        Ok(None) => return, // Closed without a request.
        Err(problem) => return shared.problem(problem),
    };
    let mut hold = shared.hold.subscribe();
    let _ = hold
        .wait_for(|held| {
            !held
                .as_ref()
                .is_some_and(|held| request.path.ends_with(held))
        })
        .await;
    let fault = shared.fault_for(&request.path);
    shared.record(Exchange {
        path: request.path.clone(),
        fault,
    });
    let answer = match forward(shared.upstream, &request.bytes).await {
        Ok(answer) => answer,
        Err(problem) => return shared.problem(format!("{}: {problem}", request.path)),
    };
    let Some((head, body)) = split_answer(&answer) else {
        return shared.problem(format!(
            "{}: the simulator's answer has no head",
            request.path
        ));
    };
    // Write errors mean the client gave up: nothing more to do either way.
    let _ = answer_with(&mut client, fault, &head, body).await;
}

/// A request read from the client, rewritten to close its connection.
struct Request {
    path: String,
    bytes: Vec<u8>,
}

/// Reads the head, then as many body bytes as `Content-Length` says.
async fn read_request(client: &mut TcpStream) -> Result<Option<Request>, String> {
    let mut buffer = Vec::new();
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end + 4;
        }
        if buffer.len() > MAX_HEAD {
            return Err("request head too long".into());
        }
        let mut chunk = [0u8; 8192];
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) if buffer.is_empty() => return Ok(None),
            Ok(0) | Err(_) => return Err("request cut short".into()),
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let target = request_line.split(' ').nth(1).unwrap_or_default();
    let path = target.split('?').next().unwrap_or_default().to_owned();
    let mut length = 0usize;
    let mut rewritten = format!("{request_line}\r\n");
    for line in lines.filter(|line| !line.is_empty()) {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let name_lower = name.trim().to_ascii_lowercase();
        match name_lower.as_str() {
            "content-length" => {
                length = value
                    .trim()
                    .parse()
                    .map_err(|_| "bad content-length".to_owned())?;
            }
            "transfer-encoding" => return Err(format!("{path}: chunked request")),
            // The connection is the proxy's to manage.
            "connection" | "keep-alive" => continue,
            _ => {}
        }
        rewritten.push_str(line);
        rewritten.push_str("\r\n");
    }
    rewritten.push_str("connection: close\r\n\r\n");
    let mut bytes = rewritten.into_bytes();
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return Err(format!("{path}: request body cut short")),
            Ok(read) => body.extend_from_slice(&chunk[..read]),
        }
    }
    bytes.extend_from_slice(&body);
    Ok(Some(Request { path, bytes }))
}

/// Sends `request` to the simulator and reads its whole answer (it closes
/// the connection after answering, as asked).
async fn forward(upstream: SocketAddr, request: &[u8]) -> Result<Vec<u8>, String> {
    let mut server = TcpStream::connect(upstream)
        .await
        .map_err(|error| format!("connect to the simulator: {error}"))?;
    server
        .write_all(request)
        .await
        .map_err(|error| format!("write to the simulator: {error}"))?;
    let mut answer = Vec::new();
    server
        .read_to_end(&mut answer)
        .await
        .map_err(|error| format!("read from the simulator: {error}"))?;
    Ok(answer)
}

/// The answer's head, rewritten to close the connection, and its body.
fn split_answer(answer: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    let end = find(answer, b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&answer[..end]);
    let mut rewritten = String::new();
    for line in head.split("\r\n").filter(|line| !line.is_empty()) {
        let name = line.split(':').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive") {
            continue;
        }
        rewritten.push_str(line);
        rewritten.push_str("\r\n");
    }
    rewritten.push_str("connection: close\r\n\r\n");
    Some((rewritten.into_bytes(), &answer[end..]))
}

/// Sends the answer to the client as `fault` says.
async fn answer_with(
    client: &mut TcpStream,
    fault: Option<Fault>,
    head: &[u8],
    body: &[u8],
) -> std::io::Result<()> {
    let half = &body[..body.len() / 2];
    match fault {
        None | Some(Fault::Refused) => send(client, &[head, body]).await,
        Some(Fault::Latency) => {
            tokio::time::sleep(LATENCY).await;
            send(client, &[head, body]).await
        }
        Some(Fault::ResetBeforeAnswer) => reset(client),
        Some(Fault::ResetMidBody) => {
            client.write_all(head).await?;
            client.write_all(half).await?;
            client.flush().await?;
            // Let the bytes arrive before the reset overtakes them.
            tokio::time::sleep(Duration::from_millis(50)).await;
            reset(client)
        }
        Some(Fault::TruncatedBody) => send(client, &[head, half]).await,
        Some(Fault::StallAfterHeaders) => {
            client.write_all(head).await?;
            client.flush().await?;
            // Hold the connection until the client gives up.
            let mut byte = [0u8; 1];
            let _ = tokio::time::timeout(STALL_LIMIT, client.read(&mut byte)).await;
            Ok(())
        }
        Some(Fault::ServerErrorHtml) => {
            let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n\
                        <body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n\
                        <hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
            let head = format!(
                "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n",
                page.len()
            );
            send(client, &[head.as_bytes(), page.as_bytes()]).await
        }
        Some(Fault::SlowDrip) => {
            client.write_all(head).await?;
            client.flush().await?;
            let piece = body.len().div_ceil(DRIP_PIECES).max(1);
            for chunk in body.chunks(piece) {
                tokio::time::sleep(DRIP_GAP).await;
                client.write_all(chunk).await?;
                client.flush().await?;
            }
            client.shutdown().await
        }
    }
}

/// Writes `parts` and closes the sending side (FIN).
async fn send(client: &mut TcpStream, parts: &[&[u8]]) -> std::io::Result<()> {
    for part in parts {
        client.write_all(part).await?;
    }
    client.shutdown().await
}

/// Closes with a reset (RST) rather than a FIN.
fn reset(client: &TcpStream) -> std::io::Result<()> {
    client.set_zero_linger()
    // Dropping the socket (the caller's) now sends the RST.
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
