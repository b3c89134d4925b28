//! Use cases: the application's operations, written against the ports.

mod accounts;
mod admin_keys;
mod audit_trail;
mod dispatch;
mod dispatch_batch;
mod dispatch_keyed;
mod job_admin;
mod jobs;
mod metrics;
mod own_job_keyed;
mod sessions;
mod user_admin;
mod verify_key;

pub use accounts::{
    AccountChanges, AccountContext, AccountError, AccountUpdate, SignUp, change_password, current_user,
    sign_in, sign_up, update_account,
};
pub use admin_keys::{
    AdminContext, AdminError, CreatedKey, KeyChanges, KeyListQuery, NewKey, create_api_key, get_api_key,
    list_api_keys, revoke_api_key, rotate_api_key, update_api_key,
};
pub use audit_trail::{AuditQuery, list_audit};
pub use dispatch::{
    DispatchContext, DispatchError, DispatchSettings, Dispatched, JobRequest, KeyCheck, KeyTerms, READ_SCOPE,
    WRITE_SCOPE, authorize_key, authorize_key_attempt, dispatch_job, key_terms,
};
pub use dispatch_batch::{BatchOutcome, MAX_BATCH_JOBS, dispatch_jobs};
pub use dispatch_keyed::{KeyedDispatchResult, dispatch_with_key};
pub use job_admin::{JobAdminError, delete_job, retry_dead_job};
pub use jobs::{JobListQuery, list_key_jobs};
pub use metrics::{MetricsSnapshot, collect_metrics};
pub use own_job_keyed::{JobAccessStores, KeyedJobResult, access_own_job_with_key};
pub use sessions::{
    DEFAULT_REFRESH_TTL_SECONDS, DEFAULT_SESSION_MAX_SECONDS, Session, SessionLifetimes, refresh, sign_out,
};
pub use user_admin::{UserAdminError, UserListQuery, delete_user, get_user, list_users, set_user_state};
pub use verify_key::{KeyRejection, VerifiedKey, VerifyError, verify_api_key};
