//! Jobs: what a client dispatches, the states a job moves through, and who moves it.
//!
//! | state       | entered by                                   | left by                                   |
//! |-------------|----------------------------------------------|-------------------------------------------|
//! | `scheduled` | dispatch with `run_at`/`delay_ms`; retry     | promotion when due; cancel                |
//! | `queued`    | dispatch; promotion; admin retry; rescue     | claim by a worker; cancel                 |
//! | `running`   | claim (with a lease)                         | ack, fail, release, rescue, cancel (asked)|
//! | `retrying`  | fail with attempts left (waits like scheduled)| promotion when due                       |
//! | `succeeded` | ack                                          | cleaner, after retention                  |
//! | `failed`    | fail without retry (the handler said so)     | cleaner                                   |
//! | `dead`      | fail after the last attempt                  | admin retry; admin delete; cleaner        |
//! | `cancelled` | cancel                                       | cleaner                                   |

mod fields;
mod model;
pub mod row;

pub use fields::{IdempotencyKey, JobId, JobKind, JobTimeout, MaxAttempts, Priority};
pub use model::{Job, JobState, NewJob};
