//! `runtime-worker admin-token`: mints an admin JWT with the secret from `JWT_SECRET`, for at most
//! `JWT_MAX_TTL_SECONDS` (default 24 h, as the app).

use anyhow::{Context, bail};
use hexaspin_config::os::system_now;
use hexaspin_config::settings::{EnvSource, load_max_token_ttl};
use hexaspin_core::admin_auth::{TokenRequest, issue_admin_token};

use crate::cli::{AdminTokenArgs, ClaimArgs};

/// Prints the token on stdout; with `--url`, then the admin page's sign-in link.
pub fn run(args: &AdminTokenArgs) -> anyhow::Result<()> {
    let token = mint(&args.claims, &args.sub, args.ttl)?;
    println!("{token}");
    if let Some(url) = &args.url {
        println!("{}", sign_in_link(url, &token)?);
    }
    Ok(())
}

/// `<url>/admin-ui/#token=<token>`: the token in the fragment, so it never reaches a server log.
pub fn sign_in_link(url: &str, token: &str) -> anyhow::Result<String> {
    let base = url.trim_end_matches('/');
    if !(base.starts_with("http://") || base.starts_with("https://")) || base.contains('#') {
        bail!("--url must be the app's http(s) address, e.g. http://127.0.0.1:3000");
    }
    Ok(format!("{base}/admin-ui/#token={token}"))
}

/// An admin token for `sub`, valid `ttl_seconds`, signed with `JWT_SECRET`.
pub fn mint(claims: &ClaimArgs, sub: &str, ttl_seconds: i64) -> anyhow::Result<String> {
    let secret = std::env::var("JWT_SECRET").context("JWT_SECRET must be set to the app's jwt_secret")?;
    if secret.is_empty() {
        bail!("JWT_SECRET must be set to the app's jwt_secret");
    }
    // The app's limit, so the CLI never mints a token the app would refuse.
    let max_ttl_seconds = load_max_token_ttl(&EnvSource)?;
    let request = TokenRequest {
        sub,
        ttl_seconds,
        max_ttl_seconds,
        kid: claims.kid.as_deref().filter(|k| !k.is_empty()),
        issuer: claims.issuer.as_deref().filter(|i| !i.is_empty()),
        audience: claims.audience.as_deref().filter(|a| !a.is_empty()),
    };
    issue_admin_token(secret.as_bytes(), &request, system_now()).context("cannot mint the token")
}

#[cfg(test)]
mod tests {
    use super::sign_in_link;

    #[test]
    fn the_sign_in_link_carries_the_token_in_its_fragment_only() {
        let link = sign_in_link("http://127.0.0.1:3000/", "a.b.c").unwrap();
        assert_eq!(link, "http://127.0.0.1:3000/admin-ui/#token=a.b.c");
        assert!(sign_in_link("127.0.0.1:3000", "a.b.c").is_err());
        assert!(sign_in_link("http://x/#y", "a.b.c").is_err());
    }
}
