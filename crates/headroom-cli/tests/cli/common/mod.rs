//! Runs the real `headroom` binary in a sealed environment: a temporary HOME and CODEX_HOME, the
//! fake service as the base URL, UTC, and nothing inherited from the developer's shell. Every run
//! checks that no secret it knows of appears in stdout or stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use headroom_testkit::jwt::{codex_auth_json, make_jwt, TestClaims};
use headroom_testkit::FakeService;
use serde_json::Value;

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub fake: FakeService,
    pub env: Vec<(String, String)>,
    /// Strings that must never appear in any output.
    pub secrets: Vec<String>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr: {}", self.stdout, self.stderr))
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home/.codex")).unwrap();
        let fake = FakeService::start();
        let mut sandbox = Sandbox { dir, fake, env: Vec::new(), secrets: Vec::new() };
        sandbox.set("CODEX_HOME", &path_str(&sandbox.codex_home()));
        sandbox.set("HEADROOM_CHATGPT_BASE_URL", &sandbox.fake.base_url());
        sandbox.set("CODEX_AUTHAPI_BASE_URL", &sandbox.fake.authapi_url());
        sandbox
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn codex_home(&self) -> PathBuf {
        self.home().join(".codex")
    }

    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn unset(&mut self, key: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self
    }

    /// Writes a Codex ChatGPT login to auth.json; returns the access token.
    pub fn codex_login(&mut self, valid_for_seconds: i64) -> String {
        let access = make_jwt(&TestClaims {
            email_in_profile_claim: true,
            ..TestClaims::plus("dev@example.com", "acct-1", valid_for_seconds)
        });
        let id = make_jwt(&TestClaims::plus("dev@example.com", "acct-1", valid_for_seconds));
        std::fs::write(self.codex_home().join("auth.json"), codex_auth_json(&access, &id, Some("acct-1"))).unwrap();
        self.secrets.extend([access.clone(), id, "rt-test-refresh-token-never-used".into()]);
        access
    }

    /// Writes a Codex ChatGPT login for `email` / `account` into another Codex home (created);
    /// returns the home.
    pub fn login_in(&mut self, name: &str, email: &str, account: &str) -> PathBuf {
        let home = self.dir.path().join(name);
        std::fs::create_dir_all(&home).unwrap();
        let access = make_jwt(&TestClaims { email_in_profile_claim: true, ..TestClaims::plus(email, account, 86_400) });
        std::fs::write(home.join("auth.json"), codex_auth_json(&access, &access, Some(account))).unwrap();
        self.secrets.push(access);
        home
    }

    /// Writes a Codex ChatGPT login with these claims into the default Codex home (`None`) or
    /// another one (created); returns the home and the access token.
    pub fn login_with(&mut self, name: Option<&str>, claims: TestClaims) -> (PathBuf, String) {
        let home = match name {
            Some(name) => self.dir.path().join(name),
            None => self.codex_home(),
        };
        std::fs::create_dir_all(&home).unwrap();
        let access = make_jwt(&TestClaims { email_in_profile_claim: true, ..claims.clone() });
        let id = make_jwt(&claims);
        let account = claims.account_id.clone();
        std::fs::write(home.join("auth.json"), codex_auth_json(&access, &id, account.as_deref())).unwrap();
        self.secrets.extend([access.clone(), id]);
        (home, access)
    }

    /// Headroom's settings folder in this sandbox: `$XDG_CONFIG_HOME/headroom`, on Windows
    /// `%APPDATA%\headroom` (under the sandbox's user folder, as Windows lays them out).
    pub fn config_dir(&self) -> PathBuf {
        if cfg!(windows) {
            self.app_data().join("headroom")
        } else {
            self.dir.path().join("config/headroom")
        }
    }

    /// Headroom's data folder (history, shared numbers): `$XDG_DATA_HOME/headroom`, on Windows
    /// the same `%APPDATA%\headroom` as the settings.
    pub fn data_dir(&self) -> PathBuf {
        if cfg!(windows) {
            self.app_data().join("headroom")
        } else {
            self.dir.path().join("data/headroom")
        }
    }

    /// Headroom's cache folder: `$XDG_CACHE_HOME/headroom`, on Windows `%LOCALAPPDATA%\headroom`
    /// (only the Windows tests look in it: `windows.rs`, a binary of its own).
    #[allow(dead_code)]
    pub fn cache_dir(&self) -> PathBuf {
        if cfg!(windows) {
            self.local_app_data().join("headroom")
        } else {
            self.dir.path().join("cache/headroom")
        }
    }

    fn app_data(&self) -> PathBuf {
        self.home().join("AppData").join("Roaming")
    }

    fn local_app_data(&self) -> PathBuf {
        self.home().join("AppData").join("Local")
    }

    /// Headroom's settings file in this sandbox.
    pub fn settings_file(&self) -> PathBuf {
        self.config_dir().join("settings.toml")
    }

    /// Puts the real Codex CLI (npm `@openai/codex`, pinned in package.json) first on PATH, behind
    /// a wrapper that records only its arguments (to `bin/codex-argv.log`), so a test sees what
    /// Codex itself writes and that no secret went into its argv.
    #[cfg(unix)]
    pub fn install_real_codex(&mut self) -> PathBuf {
        let bin = self.dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let wrapper = bin.join("codex");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
                bin.join("codex-argv.log").display(),
                real_codex().display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
        self.set("PATH", &path);
        wrapper
    }

    /// Runs the real Codex CLI in this sandbox's environment (CODEX_HOME, the fake as its account
    /// service), with `input` on its stdin; returns its exit code and stderr.
    pub fn codex(&self, args: &[&str], input: &str) -> (i32, String) {
        use std::io::Write;
        let command = self.command(&[]);
        let mut codex = Command::new(real_codex());
        codex.args(args).env_clear().envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))));
        let mut child = codex.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
    }

    /// Signs the real Codex in with a Codex access token (`codex login --with-access-token`,
    /// offline: Codex asks the fake's account service who owns it), wherever the sandbox's
    /// config.toml tells Codex to keep its login.
    pub fn codex_signs_in_with_access_token(&mut self, token: &str) {
        self.secrets.push(token.into());
        let (code, stderr) = self.codex(&["login", "--with-access-token"], token);
        assert_eq!(code, 0, "codex login --with-access-token failed: {stderr}");
    }

    /// With Codex's login in its encrypted store `file` (bytes `original`, signed in with the
    /// Codex access token `token`) and a fallback key set: the switch goes through Codex, which
    /// writes the key into its store; the plan is still read with the saved (still encrypted)
    /// login; restore puts the store back byte for byte.
    // On Windows only `windows.rs`, a binary of its own, uses it.
    #[cfg_attr(windows, allow(dead_code))]
    pub fn switch_encrypted_login_and_back(&self, file: &Path, original: &[u8], token: &str) {
        let run = self.run(&["fallback", "switch"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_ne!(std::fs::read(file).unwrap(), original, "Codex wrote the key into its encrypted store");
        assert!(self.run(&["fallback", "status"]).stdout.contains("Codex uses    the fallback API key"));
        let v = self.run(&["status", "--json"]).json();
        assert_eq!(v["source"], "api", "{v}");
        let last = self.fake.requests().pop().unwrap();
        assert_eq!(last.header("authorization"), Some(format!("Bearer {token}").as_str()));

        assert_eq!(self.run(&["fallback", "restore"]).code, 0);
        assert_eq!(std::fs::read(file).unwrap(), original, "byte for byte");
        assert!(self.run(&["fallback", "status"]).stdout.contains("Codex uses    your ChatGPT login"));
    }

    pub fn write_codex_file(&self, name: &str, text: &str) {
        let path = self.codex_home().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_input(args, None)
    }

    /// The command `run` would start, for tests that watch the process while it runs.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_headroom"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .env("TZ", "UTC")
            .env("NO_COLOR", "1");
        if cfg!(windows) {
            // The user's folders as Windows names them, in the sandbox; and what every Windows
            // process expects to inherit (sockets, for one, need SystemRoot).
            command
                .env("USERPROFILE", self.home())
                .env("APPDATA", self.app_data())
                .env("LOCALAPPDATA", self.local_app_data());
            for inherited in WINDOWS_INHERITED {
                if let Some(value) = std::env::var_os(inherited) {
                    command.env(inherited, value);
                }
            }
        }
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    /// Runs `headroom` with `input` on its standard input (closed when `None`).
    pub fn run_with_input(&self, args: &[&str], input: Option<&str>) -> Run {
        use std::io::Write;
        let mut command = self.command(args);
        command
            .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for attempt in 1.. {
            let mut child = match command.spawn() {
                Ok(child) => child,
                // Wine's CreateProcess now and then fails with ERROR_INTERNAL_ERROR (1359) when
                // fifty starts come fast (seen once in a CI run): nothing of Headroom ran yet.
                Err(error) if cfg!(windows) && error.raw_os_error() == Some(1359) && attempt < 3 => {
                    eprintln!("headroom.exe could not be started ({error}); starting it again");
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    continue;
                }
                Err(error) => panic!("headroom starts: {error:?}"),
            };
            if let Some(input) = input {
                child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            }
            let output: Output = child.wait_with_output().expect("headroom runs");
            // A Windows process whose DLLs failed to initialise never ran a line of Headroom
            // (under Wine, seen once in a CI run): it is started again, and said so.
            if cfg!(windows) && output.status.code() == Some(STATUS_DLL_INIT_FAILED) && attempt < 3 {
                eprintln!("headroom.exe did not start (STATUS_DLL_INIT_FAILED); starting it again");
                continue;
            }
            return self.check_output(output);
        }
        unreachable!()
    }

    fn check_output(&self, output: Output) -> Run {
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        for secret in &self.secrets {
            assert!(!run.stdout.contains(secret.as_str()), "a secret leaked to stdout:\n{}", run.stdout);
            assert!(!run.stderr.contains(secret.as_str()), "a secret leaked to stderr:\n{}", run.stderr);
        }
        run
    }
}

/// The exit status of a Windows process that could not start: a DLL's initialisation failed.
const STATUS_DLL_INIT_FAILED: i32 = 0xC000_0142_u32 as i32;

/// What a Windows process needs from its parent to start and reach the network at all.
const WINDOWS_INHERITED: [&str; 6] = ["SystemRoot", "SystemDrive", "windir", "TEMP", "TMP", "PATHEXT"];

/// A session log line in the current shape.
pub fn token_count_line(
    timestamp: &str,
    primary_used: f64,
    primary_resets_at: i64,
    secondary_used: f64,
    secondary_resets_at: i64,
) -> String {
    format!(
        r#"{{"timestamp":"{timestamp}","type":"event_msg","payload":{{"type":"token_count","info":null,"rate_limits":{{"limit_id":"codex","primary":{{"used_percent":{primary_used},"window_minutes":300,"resets_at":{primary_resets_at}}},"secondary":{{"used_percent":{secondary_used},"window_minutes":10080,"resets_at":{secondary_resets_at}}},"credits":null,"plan_type":"plus"}}}}}}"#
    ) + "\n"
}

/// The real Codex CLI installed from npm by `scripts/test` (package.json pins the version); on
/// Windows, the Windows build of that same version (`codex.exe`), which `scripts/test-windows`
/// unpacks from npm and names in HEADROOM_TEST_CODEX_EXE.
pub fn real_codex() -> PathBuf {
    if cfg!(windows) {
        let path = std::env::var_os("HEADROOM_TEST_CODEX_EXE").map(PathBuf::from).unwrap_or_default();
        assert!(
            path.is_file(),
            "Codex for Windows is not unpacked: run scripts/test-windows (it sets HEADROOM_TEST_CODEX_EXE)"
        );
        return path;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/.bin/codex");
    assert!(
        path.exists(),
        "the Codex CLI is not installed: run `npm install` in the repository root (scripts/test does)"
    );
    path
}

pub fn iso(unix: i64) -> String {
    headroom_testkit::history::iso(unix)
}

pub fn now() -> i64 {
    headroom_testkit::jwt::now_unix()
}

pub fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// A path as a TOML string, the way Headroom's settings writer puts it: in double quotes, or
/// in single quotes (a literal string) when it holds backslashes, as Windows paths do.
pub fn toml_path(path: &Path) -> String {
    let text = path_str(path);
    if text.contains('\\') {
        format!("'{text}'")
    } else {
        format!("\"{text}\"")
    }
}

/// The command that runs Codex with `home` as its CODEX_HOME, as Headroom advises it: a POSIX
/// shell's `CODEX_HOME=… codex`, or on Windows PowerShell's `$env:CODEX_HOME='…'; codex`.
pub fn codex_in(home: &Path) -> String {
    if cfg!(windows) {
        format!("$env:CODEX_HOME='{}'; codex", home.display())
    } else {
        format!("CODEX_HOME={} codex", home.display())
    }
}

/// A keychain entry a test made (Codex's, or another program's), removed when dropped.
#[cfg(any(target_os = "linux", windows))]
#[cfg_attr(windows, allow(dead_code))] // On Windows only `windows.rs`, a binary of its own, uses it.
pub struct TestEntry(pub keyring::Entry);

#[cfg(any(target_os = "linux", windows))]
#[cfg_attr(windows, allow(dead_code))]
impl TestEntry {
    pub fn new(service: &str, account: &str) -> TestEntry {
        TestEntry(keyring::Entry::new(service, account).unwrap())
    }
}

#[cfg(any(target_os = "linux", windows))]
impl Drop for TestEntry {
    fn drop(&mut self) {
        let _ = self.0.delete_credential();
    }
}

/// The one keyring every test shares: a test that uses it (Headroom's vault entries, Codex's,
/// locking it) holds this for its whole run, so no other sees its entries or its locked keyring.
#[cfg(target_os = "linux")]
pub fn keyring_turn() -> std::sync::MutexGuard<'static, ()> {
    static KEYRING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    KEYRING.lock().unwrap_or_else(|e| e.into_inner())
}

/// The session bus address when a Secret Service answers on it. Otherwise the test is skipped
/// with a printed reason, or fails when HEADROOM_REQUIRE_KEYRING=1 (as `scripts/test` sets).
#[cfg(target_os = "linux")]
pub fn secret_service_or_skip(test: &str) -> Option<String> {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").ok();
    let works = bus.is_some()
        && keyring::Entry::new("Headroom test", test)
            .and_then(|e| e.set_password("probe").and_then(|_| e.delete_credential()))
            .is_ok();
    if works {
        return bus;
    }
    let why = "no Secret Service on the session bus (run the tests through scripts/test)";
    if std::env::var("HEADROOM_REQUIRE_KEYRING").as_deref() == Ok("1") {
        panic!("{test}: {why}");
    }
    // Written straight to the process's stderr so the reason shows even though the test passes.
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
    None
}
