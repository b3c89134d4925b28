//! `runtime-worker admin-token`: mints an admin JWT with the secret from `JWT_SECRET`.

use anyhow::{Context, bail};
use hexaspin_api::system::system_now;
use hexaspin_core::admin_auth::{TokenRequest, issue_admin_token};

use crate::cli::AdminTokenArgs;

/// Prints the token on stdout.
pub fn run(args: &AdminTokenArgs) -> anyhow::Result<()> {
    let secret = std::env::var("JWT_SECRET").context("JWT_SECRET must be set to the app's jwt_secret")?;
    if secret.is_empty() {
        bail!("JWT_SECRET must be set to the app's jwt_secret");
    }
    let request = TokenRequest {
        sub: &args.sub,
        ttl_seconds: args.ttl,
        kid: args.kid.as_deref().filter(|k| !k.is_empty()),
        issuer: args.issuer.as_deref().filter(|i| !i.is_empty()),
        audience: args.audience.as_deref().filter(|a| !a.is_empty()),
    };
    let token =
        issue_admin_token(secret.as_bytes(), &request, system_now()).context("cannot mint the token")?;
    println!("{token}");
    Ok(())
}
