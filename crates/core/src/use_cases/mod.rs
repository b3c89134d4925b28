//! Use cases: the application's operations, written against the ports.

mod accounts;
mod admin_keys;
mod audit_trail;
mod dispatch;
mod dispatch_batch;
mod jobs;
mod metrics;
mod user_admin;
mod verify_key;

pub use accounts::{
    AccountChanges, AccountContext, AccountError, DEFAULT_REFRESH_TTL_SECONDS, Session, SignUp,
    change_password, current_user, refresh, sign_in, sign_out, sign_up, update_account,
};
pub use admin_keys::{
    AdminContext, AdminError, CreatedKey, KeyChanges, KeyListQuery, NewKey, create_api_key, get_api_key,
    list_api_keys, revoke_api_key, rotate_api_key, update_api_key,
};
pub use audit_trail::{AuditQuery, list_audit};
pub use dispatch::{
    DispatchContext, DispatchError, DispatchSettings, Dispatched, JobRequest, READ_SCOPE, WRITE_SCOPE,
    authorize_key, dispatch_job,
};
pub use dispatch_batch::{BatchOutcome, MAX_BATCH_JOBS, dispatch_jobs};
pub use jobs::{JobListQuery, list_key_jobs};
pub use metrics::{MetricsSnapshot, collect_metrics};
pub use user_admin::{UserAdminError, UserListQuery, delete_user, get_user, list_users, set_user_state};
pub use verify_key::{KeyRejection, VerifiedKey, VerifyError, verify_api_key};
