//! The OS keychain, asked with a time limit and not asked again after it refused.
//!
//! A locked keyring answers a read only once its unlock prompt is answered. Polling that read
//! on its own path froze for as long as the prompt stayed open (16 minutes and more: "Updated
//! just now" meanwhile, countdowns frozen, "Refresh now" queued behind it), and after Cancel the
//! next poll raised the prompt again. Here each call runs on a thread of its own and is given
//! [`GuardedKeychain::new`]'s time limit; a call that did not answer in time is left to finish
//! (the prompt stays up for the person) while later calls fail at once, and a keychain that
//! refused (a dismissed prompt) is not asked again until the person asks
//! ([`GuardedKeychain::ask_again`]: "Refresh now", opening Settings).

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use super::keychain::{Keychain, KeychainError};

/// What the keychain did lately.
#[derive(Debug, Default)]
struct Guard {
    /// Calls that ran out of time and have not answered yet.
    stuck: usize,
    /// When it refused (locked, a prompt dismissed): not asked again until the person asks, or
    /// [`ASK_AGAIN_AFTER`] has passed (a keyring still locked when Headroom started at login).
    refused: Option<std::time::Instant>,
}

/// Cheap to clone: clones share what the keychain did lately.
#[derive(Clone)]
pub struct GuardedKeychain<K> {
    inner: K,
    limit: Duration,
    guard: Arc<Mutex<Guard>>,
}

/// A refusal is taken as the answer for this long; then polling asks once more.
pub const ASK_AGAIN_AFTER: Duration = Duration::from_secs(15 * 60);

/// Said while a call still waits on the keychain.
pub const WAITING: &str = "it is waiting to be unlocked: answer its prompt, or unlock it";
/// Said after it refused, until the person asks again.
pub const REFUSED: &str = "it was not unlocked: unlock it, then choose Refresh now";

impl<K: Keychain + Clone + 'static> GuardedKeychain<K> {
    pub fn new(inner: K, limit: Duration) -> GuardedKeychain<K> {
        GuardedKeychain { inner, limit, guard: Arc::default() }
    }

    /// The person asked (Refresh now, Settings): the keychain is asked again, even after it
    /// refused.
    pub fn ask_again(&self) {
        self.guard().refused = None;
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, Guard> {
        self.guard.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn call<T: Send + 'static>(
        &self,
        ask: impl FnOnce(&K) -> Result<T, KeychainError> + Send + 'static,
    ) -> Result<T, KeychainError> {
        {
            let guard = self.guard();
            if guard.stuck > 0 {
                return Err(KeychainError::Locked(WAITING.into()));
            }
            if guard.refused.is_some_and(|at| at.elapsed() < ASK_AGAIN_AFTER) {
                return Err(KeychainError::Locked(REFUSED.into()));
            }
        }
        let (answer, answered) = mpsc::channel();
        let (inner, guard) = (self.inner.clone(), self.guard.clone());
        // Set (under the guard's lock) when the caller stopped waiting, so that the late answer
        // takes its mark off.
        let gave_up = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let late = gave_up.clone();
        let started = std::thread::Builder::new().name("keychain".into()).spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ask(&inner)))
                .unwrap_or_else(|_| Err(KeychainError::Other("the call to it failed unexpectedly".into())));
            // Answered under the guard's lock: the caller either sees the answer or has marked
            // the call stuck before this looks (see below), never neither.
            let mut state = guard.lock().unwrap_or_else(|e| e.into_inner());
            if matches!(result, Err(KeychainError::Locked(_))) {
                state.refused = Some(std::time::Instant::now());
            }
            if late.load(std::sync::atomic::Ordering::SeqCst) {
                state.stuck -= 1;
            }
            let _ = answer.send(result);
        });
        if let Err(e) = started {
            return Err(KeychainError::Other(format!("no thread to ask it on: {e}")));
        }
        match answered.recv_timeout(self.limit) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(KeychainError::Other("the call to it ended without an answer".into()))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let mut state = self.guard();
                if let Ok(result) = answered.try_recv() {
                    return result;
                }
                gave_up.store(true, std::sync::atomic::Ordering::SeqCst);
                state.stuck += 1;
                Err(KeychainError::Locked(format!(
                    "it did not answer within {} s; {WAITING}",
                    self.limit.as_secs().max(1)
                )))
            }
        }
    }
}

impl<K: Keychain + Clone + 'static> Keychain for GuardedKeychain<K> {
    fn read(&self, service: &str, account: &str) -> Result<Option<Vec<u8>>, KeychainError> {
        let (service, account) = (service.to_string(), account.to_string());
        self.call(move |k| k.read(&service, &account))
    }

    fn write(&self, service: &str, account: &str, secret: &[u8]) -> Result<(), KeychainError> {
        let (service, account, secret) = (service.to_string(), account.to_string(), secret.to_vec());
        self.call(move |k| k.write(&service, &account, &secret))
    }

    fn delete(&self, service: &str, account: &str) -> Result<bool, KeychainError> {
        let (service, account) = (service.to_string(), account.to_string());
        self.call(move |k| k.delete(&service, &account))
    }

    fn entry_limit(&self) -> Option<usize> {
        self.inner.entry_limit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// What a keychain read answers.
    type ReadAnswer = Result<Option<Vec<u8>>, KeychainError>;

    /// A keychain whose reads wait until `open` is set, then answer `answer`; counts its reads.
    #[derive(Clone, Default)]
    struct Prompting {
        open: Arc<Mutex<Option<ReadAnswer>>>,
        reads: Arc<AtomicUsize>,
    }

    impl Keychain for Prompting {
        fn read(&self, _: &str, _: &str) -> Result<Option<Vec<u8>>, KeychainError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            loop {
                if let Some(answer) = self.open.lock().unwrap().take() {
                    return answer;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        fn write(&self, _: &str, _: &str, _: &[u8]) -> Result<(), KeychainError> {
            Ok(())
        }
        fn delete(&self, _: &str, _: &str) -> Result<bool, KeychainError> {
            Ok(false)
        }
    }

    fn wait_until(condition: impl Fn() -> bool) {
        let started = std::time::Instant::now();
        while !condition() {
            assert!(started.elapsed() < Duration::from_secs(5), "timed out");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_prompt_left_open_costs_one_time_limit_then_calls_fail_at_once() {
        let inner = Prompting::default();
        let keychain = GuardedKeychain::new(inner.clone(), Duration::from_millis(100));
        let started = std::time::Instant::now();
        let first = keychain.read("Headroom", "access-token").unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(first.to_string().contains("did not answer within 1 s"), "{first}");
        // The prompt is still up: the next polls do not wait, and do not ask again.
        let started = std::time::Instant::now();
        let next = keychain.read("Headroom", "access-token").unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(50));
        assert!(next.to_string().contains(WAITING), "{next}");
        assert_eq!(inner.reads.load(Ordering::SeqCst), 1, "one prompt, not one per poll");

        // The person unlocks: the waiting read ends, and reading works again.
        *inner.open.lock().unwrap() = Some(Ok(Some(b"late".to_vec())));
        wait_until(|| keychain.guard().stuck == 0);
        *inner.open.lock().unwrap() = Some(Ok(Some(b"token".to_vec())));
        assert_eq!(keychain.read("Headroom", "access-token").unwrap(), Some(b"token".to_vec()));
    }

    #[test]
    fn a_dismissed_prompt_is_not_raised_again_until_the_person_asks() {
        let inner = Prompting::default();
        let keychain = GuardedKeychain::new(inner.clone(), Duration::from_secs(5));
        *inner.open.lock().unwrap() = Some(Err(KeychainError::Locked("prompt dismissed".into())));
        assert!(keychain.read("Headroom", "access-token").is_err());
        for _ in 0..3 {
            let again = keychain.read("Headroom", "access-token").unwrap_err();
            assert!(again.to_string().contains(REFUSED), "{again}");
        }
        assert_eq!(inner.reads.load(Ordering::SeqCst), 1, "polling does not raise the prompt again");
        keychain.ask_again();
        *inner.open.lock().unwrap() = Some(Ok(None));
        assert_eq!(keychain.read("Headroom", "access-token").unwrap(), None);
        assert_eq!(inner.reads.load(Ordering::SeqCst), 2);
    }
}
