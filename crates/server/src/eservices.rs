//! The e-services compiled into this build. Each is a crate implementing
//! `wspolnota_core::EService`; its GraphQL roots are merged in `graphql/mod.rs`.

use wspolnota_core::EService;

/// Every compiled-in e-service, in a fixed order.
pub fn all() -> Vec<Box<dyn EService>> {
    Vec::new()
}

/// Their ids: what a tenant may list under `e_services`.
pub fn ids() -> Vec<&'static str> {
    all().iter().map(|e| e.id()).collect()
}
