//! Settings from Spin variables, read once per instance.
//!
//! A variable read is an asynchronous host call in spin-sdk 7, and hexaspin's settings are read
//! through the synchronous [`ConfigSource`]; so before an instance's first request is served
//! [`read_once_per_instance`] reads every variable in [`SPIN_VARIABLES`] (all at once), and
//! [`SpinVariables`] answers from that copy. Reading six variables per request cost a WASIp3
//! component a third of its throughput (the probe: 5 100–6 300 req/s against 8 700–9 800
//! cached). A read the host failed (a variables provider away) is not kept: the next request
//! reads them all again.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use hexaspin_config::settings::{ConfigError, ConfigSource, NATIVE_ONLY_SETTINGS, SPIN_VARIABLES};
use spin_sdk_p3::variables;

/// One variable as read: its value (`None` when undefined or empty), or why the host could not
/// read it.
type Read = Result<Option<String>, String>;

thread_local! {
    /// The variables as this instance read them; `None` until read, or after a failed read.
    static SNAPSHOT: RefCell<Option<Rc<HashMap<&'static str, Read>>>> = const { RefCell::new(None) };
    /// The instance's latest read, complete or not (shared by the requests it serves at once,
    /// like the settings themselves): what [`SpinVariables`] answers from while no complete one
    /// is kept; a variable that failed answers its error, never a default.
    static CURRENT: RefCell<Option<Rc<HashMap<&'static str, Read>>>> = const { RefCell::new(None) };
}

/// Reads every variable unless this instance already has them all.
pub async fn read_once_per_instance() {
    if SNAPSHOT.with_borrow(Option::is_some) {
        return;
    }
    let reads = futures::future::join_all(SPIN_VARIABLES.iter().map(|name| async move {
        let read = match variables::get(*name).await {
            Ok(value) if value.is_empty() => Ok(None),
            Ok(value) => Ok(Some(value)),
            Err(variables::Error::Undefined(_)) => Ok(None),
            Err(error) => Err(error.to_string()),
        };
        (*name, read)
    }))
    .await;
    let complete = reads.iter().all(|(_, read)| read.is_ok());
    let snapshot = Rc::new(reads.into_iter().collect::<HashMap<_, _>>());
    // A read with a failure is not kept as the instance's settings: the next request reads again.
    CURRENT.with_borrow_mut(|current| *current = Some(Rc::clone(&snapshot)));
    if complete {
        SNAPSHOT.with_borrow_mut(|kept| *kept = Some(snapshot));
    }
}

/// Reads settings from this instance's copy of the Spin variables; undefined and empty
/// variables count as unset.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpinVariables;

impl ConfigSource for SpinVariables {
    fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        if NATIVE_ONLY_SETTINGS.contains(&name) {
            return Ok(None);
        }
        let snapshot = SNAPSHOT
            .with_borrow(Option::clone)
            .or_else(|| CURRENT.with_borrow(Option::clone));
        let read = snapshot.as_ref().and_then(|snapshot| snapshot.get(name));
        match read {
            Some(Ok(value)) => Ok(value.clone()),
            Some(Err(reason)) => Err(ConfigError::Unreadable {
                name: name.to_owned(),
                reason: reason.clone(),
            }),
            // Not in SPIN_VARIABLES (a test keeps it in step with spin.toml), or read before
            // `read_once_per_instance` ran: a programming error, said as such.
            None => Err(ConfigError::Unreadable {
                name: name.to_owned(),
                reason: "not among the variables this build reads (SPIN_VARIABLES)".into(),
            }),
        }
    }
}
