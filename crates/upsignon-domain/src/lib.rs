//! Owns the rules of the product in plain Rust: what a valid email address or
//! tenant name is, the states a device goes through, who may do what in a
//! shared vault, and when a vault write is accepted. It has no I/O and must
//! never depend on actix, diesel or any other crate of ours, so the rules can
//! be read and tested on their own (CI checks it does not depend on diesel).

mod access;
mod device;
mod email;
pub mod enrolment;
pub mod policy;
pub mod stats;
mod tenant;
pub mod text;
mod vault;

pub use access::AccessLevel;
pub use device::{DeviceStatus, DeviceTransitionError};
pub use email::{Email, EmailError};
pub use policy::{PolicyError, TenantPolicy};
pub use tenant::{TenantSlug, TenantSlugError};
pub use vault::{VaultVersion, WriteConflict};
