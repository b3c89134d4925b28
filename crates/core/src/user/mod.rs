//! End users of the user service: accounts, their passwords, and the refresh tokens that keep them
//! signed in.
//!
//! # Layout
//! - [`email`]: the normalised, unique sign-in name.
//! - [`password`]: the password policy and Argon2id hashing (constant-time verification).
//! - [`model`]: the account record, its id and state.
//! - [`refresh`]: opaque refresh tokens, stored only as hashes, rotated in families.
//! - [`token`]: the short-lived access JWTs (`role=user`), signed with their own secret.

pub mod email;
pub mod model;
pub mod password;
pub mod refresh;
pub mod token;

pub use email::Email;
pub use model::{DisplayName, User, UserId, UserState};
pub use password::{Password, PasswordHash, PasswordHasher, PasswordParams};
pub use refresh::{RefreshFamily, RefreshFamilyId, RefreshToken, RefreshTokenHash, StoredRefreshToken};
pub use token::{AuthenticatedUser, UserAuthConfig, UserAuthError, UserClaims};
