//! A fake of the ChatGPT usage service: a small HTTP/1.1 server on 127.0.0.1 that serves scripted
//! responses, can delay, cut off or garble them, and records every request's headers.
//!
//! It is written on std::net rather than a web framework on purpose: cutting a response off in
//! the middle of its body, or never answering, needs control of the raw socket.
//!
//! Control it in-process ([`FakeService::respond`], [`FakeService::queue`]) or, when it runs as the
//! `headroom-fake` binary, over HTTP: `POST /__fake/respond` with a [`Control`] body,
//! `GET /__fake/requests`, `POST /__fake/reset`.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::response::{Behaviour, FakeResponse};

/// Which endpoint a response is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// `GET …/wham/usage` and `GET …/api/codex/usage`.
    Usage,
    /// `GET /api/auth/session`, where a session cookie is exchanged for an access token.
    Session,
    /// `GET …/v1/user-auth-credential/whoami`, where Codex asks who owns a Codex access token.
    Whoami,
    /// `POST …/v1/responses`: a model provider's Responses API, for running the real Codex
    /// offline (`codex exec` with `model_provider` pointing here) so it writes real rollouts.
    Responses,
    /// `GET …/wham/rate-limit-reset-credits` (and `/api/codex/…`): the banked reset credits.
    ResetCredits,
    /// `POST …/rate-limit-reset-credits/consume`: using one (the body is recorded).
    ConsumeResetCredit,
}

/// A request as the fake saw it. Header names are lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    /// When it arrived, unix milliseconds.
    #[serde(default)]
    pub at_ms: u64,
    /// The request's body, as text (empty for a GET).
    #[serde(default)]
    pub body: String,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }
}

/// The body of `POST /__fake/respond`: a named scenario or an explicit response, for a route,
/// either as the standing answer or queued to be served once before it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Control {
    #[serde(default = "usage_route")]
    pub route: Route,
    #[serde(default)]
    pub scenario: Option<String>,
    #[serde(default)]
    pub response: Option<FakeResponse>,
    #[serde(default)]
    pub queue: bool,
    /// The standing usage answer for this account only (its `ChatGPT-Account-Id`).
    #[serde(default)]
    pub account: Option<String>,
}

fn usage_route() -> Route {
    Route::Usage
}

/// Builds the answer to the `n`th request (from 0) on a route, at the moment it arrives.
pub type Responder = Arc<dyn Fn(usize) -> FakeResponse + Send + Sync>;

#[derive(Default)]
struct Script {
    standing: Option<FakeResponse>,
    queued: VecDeque<FakeResponse>,
    /// Takes precedence over both when set.
    responder: Option<Responder>,
    served: usize,
}

#[derive(Default)]
struct State {
    scripts: HashMap<Route, Script>,
    /// Standing usage answers for one account (by its `ChatGPT-Account-Id` header), before the
    /// route's own script: several accounts side by side.
    by_account: HashMap<String, FakeResponse>,
    /// Standing usage answers for one login (its bearer token), before the account's: two people
    /// in one workspace share its account id but not their limits.
    by_token: HashMap<String, FakeResponse>,
    requests: Vec<RecordedRequest>,
}

/// A running fake. Stops when dropped.
pub struct FakeService {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stopping: Arc<AtomicBool>,
}

impl FakeService {
    /// Starts on a free port of 127.0.0.1, answering the usage route with the Plus two-window
    /// scenario until told otherwise.
    pub fn start() -> FakeService {
        Self::start_on(0).expect("the fake service could not bind 127.0.0.1")
    }

    pub fn start_on(port: u16) -> std::io::Result<FakeService> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let stopping = Arc::new(AtomicBool::new(false));
        let service = FakeService { addr, state: state.clone(), stopping: stopping.clone() };
        service.respond(Route::Usage, crate::scenarios::usage("plus-two-windows").expect("built-in scenario"));
        service.respond(Route::Whoami, FakeResponse::json(200, crate::scenarios::WHOAMI));
        service.respond(Route::Responses, crate::scenarios::model_turn("Hello from the fake.", (37.5, 12.0)));
        service.respond(Route::ResetCredits, FakeResponse::json(200, crate::scenarios::reset_credit_list()));
        service.respond(Route::ConsumeResetCredit, FakeResponse::json(200, r#"{"code":"reset","windows_reset":2}"#));
        thread::Builder::new().name("headroom-fake".into()).spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let state = state.clone();
                let _ = thread::Builder::new().spawn(move || {
                    let _ = handle(stream, &state);
                });
            }
        })?;
        Ok(service)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL Codex would call, ending in `/backend-api`.
    pub fn base_url(&self) -> String {
        format!("http://{}/backend-api", self.addr)
    }

    /// The server's root, for the `/api/codex/usage` form and `/api/auth/session`.
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The account service's base, as `CODEX_AUTHAPI_BASE_URL` names it for Codex and Headroom.
    pub fn authapi_url(&self) -> String {
        format!("http://{}/api/accounts", self.addr)
    }

    /// Sets the standing answer for a route.
    pub fn respond(&self, route: Route, response: FakeResponse) {
        let mut state = self.state.lock().unwrap();
        let script = state.scripts.entry(route).or_default();
        script.standing = Some(response);
        script.queued.clear();
        script.responder = None;
    }

    /// Answers each request on `route` with what `responder` builds for it (its index from 0),
    /// for scripts whose answers depend on time or on how many requests came before.
    pub fn respond_with(&self, route: Route, responder: impl Fn(usize) -> FakeResponse + Send + Sync + 'static) {
        let mut state = self.state.lock().unwrap();
        let script = state.scripts.entry(route).or_default();
        script.responder = Some(Arc::new(responder));
        script.served = 0;
    }

    /// Answers usage requests for `account_id` (its `ChatGPT-Account-Id` header) with `response`,
    /// whatever the route's own script says.
    pub fn respond_for_account(&self, account_id: &str, response: FakeResponse) {
        self.state.lock().unwrap().by_account.insert(account_id.to_string(), response);
    }

    /// Answers usage requests made with `token` (its `Authorization: Bearer` header) with
    /// `response`, before any account's or the route's own answer.
    pub fn respond_for_token(&self, token: &str, response: FakeResponse) {
        self.state.lock().unwrap().by_token.insert(token.to_string(), response);
    }

    /// Queues answers served once each, in order, before the standing one.
    pub fn queue(&self, route: Route, responses: impl IntoIterator<Item = FakeResponse>) {
        let mut state = self.state.lock().unwrap();
        state.scripts.entry(route).or_default().queued.extend(responses);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.state.lock().unwrap().requests.clear();
    }
}

impl Drop for FakeService {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request(stream: &TcpStream) -> std::io::Result<Request> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        if headers.len() > 200 {
            break;
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Request { method, path, headers, body })
}

fn handle(mut stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let request = read_request(&stream)?;
    let path_only = request.path.split('?').next().unwrap_or_default().to_string();

    let response = if let Some(control) = path_only.strip_prefix("/__fake/") {
        control_response(control, &request, state)
    } else {
        let route = if path_only.ends_with("/wham/usage") || path_only.ends_with("/api/codex/usage") {
            Some(Route::Usage)
        } else if path_only == "/api/auth/session" {
            Some(Route::Session)
        } else if path_only.ends_with("/v1/user-auth-credential/whoami") {
            Some(Route::Whoami)
        } else if path_only.ends_with("/v1/responses") {
            Some(Route::Responses)
        } else if path_only.ends_with("/rate-limit-reset-credits/consume") {
            Some(Route::ConsumeResetCredit)
        } else if path_only.ends_with("/rate-limit-reset-credits") {
            Some(Route::ResetCredits)
        } else {
            None
        };
        let at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let mut state = state.lock().unwrap();
        state.requests.push(RecordedRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            headers: request.headers.clone(),
            at_ms,
            body: String::from_utf8_lossy(&request.body).into_owned(),
        });
        let account = request.headers.iter().find(|(n, _)| n == "chatgpt-account-id").map(|(_, v)| v.clone());
        let bearer = request
            .headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .and_then(|(_, v)| v.strip_prefix("Bearer "))
            .map(str::to_string);
        let for_token = bearer.filter(|_| route == Some(Route::Usage)).and_then(|t| state.by_token.get(&t).cloned());
        let for_account = for_token.or_else(|| {
            account.filter(|_| route == Some(Route::Usage)).and_then(|a| state.by_account.get(&a).cloned())
        });
        match route.and_then(|r| state.scripts.get_mut(&r)) {
            _ if for_account.is_some() => for_account.unwrap_or_else(|| FakeResponse::json(500, "{}")),
            Some(script) => {
                let n = script.served;
                script.served += 1;
                match script.responder.clone() {
                    Some(responder) => {
                        // Built outside the lock: a responder may take its time.
                        drop(state);
                        responder(n)
                    }
                    None => script
                        .queued
                        .pop_front()
                        .or_else(|| script.standing.clone())
                        .unwrap_or_else(|| FakeResponse::json(404, r#"{"detail":"no scripted answer"}"#)),
                }
            }
            None => FakeResponse::json(404, r#"{"detail":"Not Found"}"#),
        }
    };
    send(&mut stream, &response)
}

fn control_response(control: &str, request: &Request, state: &Mutex<State>) -> FakeResponse {
    match (request.method.as_str(), control) {
        ("GET", "requests") => {
            let requests = state.lock().unwrap().requests.clone();
            FakeResponse::json(200, serde_json::to_string(&requests).unwrap())
        }
        ("POST", "reset") => {
            state.lock().unwrap().requests.clear();
            FakeResponse::json(200, "{}")
        }
        ("POST", "respond") => match apply_control(&request.body, state) {
            Ok(()) => FakeResponse::json(200, "{}"),
            Err(message) => FakeResponse::json(400, serde_json::json!({ "error": message }).to_string()),
        },
        _ => FakeResponse::json(404, r#"{"detail":"unknown control"}"#),
    }
}

fn apply_control(body: &[u8], state: &Mutex<State>) -> Result<(), String> {
    let control: Control = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let response = match (&control.scenario, control.response) {
        (Some(name), _) => crate::scenarios::usage(name).ok_or_else(|| format!("no scenario named {name}"))?,
        (None, Some(response)) => response,
        (None, None) => return Err("give `scenario` or `response`".into()),
    };
    let mut state = state.lock().unwrap();
    if let Some(account) = control.account {
        state.by_account.insert(account, response);
        return Ok(());
    }
    let script = state.scripts.entry(control.route).or_default();
    if control.queue {
        script.queued.push_back(response);
    } else {
        script.standing = Some(response);
        script.queued.clear();
        script.responder = None;
    }
    Ok(())
}

fn send(stream: &mut TcpStream, response: &FakeResponse) -> std::io::Result<()> {
    if response.delay_ms > 0 {
        thread::sleep(Duration::from_millis(response.delay_ms));
    }
    if response.behaviour == Behaviour::Hang {
        // Hold the connection open without answering until the client gives up.
        let mut sink = [0u8; 64];
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        return Ok(());
    }
    let mut body = response.body.clone().into_bytes();
    if response.behaviour == Behaviour::Garble {
        for (i, byte) in body.iter_mut().enumerate() {
            if i % 7 == 3 {
                *byte = b'\x07';
            }
        }
    }
    let mut head = format!("HTTP/1.1 {} {}\r\n", response.status, reason(response.status));
    for (name, value) in &response.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    match response.behaviour {
        Behaviour::CutAfter(n) => {
            stream.write_all(&body[..n.min(body.len())])?;
            stream.flush()?;
            // Close without sending the rest: the client sees a truncated body.
            stream.shutdown(Shutdown::Both)?;
        }
        _ => {
            stream.write_all(&body)?;
            stream.flush()?;
        }
    }
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
