use async_graphql::{Context, ErrorExtensions, Object, SimpleObject};
use wspolnota_core::graphql::ctx;
use wspolnota_core::tenant::TenantKind;

/// Public facts about the municipality whose host was called.
#[derive(SimpleObject)]
pub struct TenantInfo {
    slug: String,
    /// Official name, e.g. "Miasto Zamość".
    name: String,
    kind: TenantKind,
    county_rights: bool,
    /// TERC code.
    teryt: String,
    population: u32,
    /// Enabled e-services, by id.
    e_services: Vec<String>,
    address: Address,
    contact: Contact,
}

#[derive(SimpleObject)]
pub struct Address {
    street: String,
    postal_code: String,
    city: String,
}

#[derive(SimpleObject)]
pub struct Contact {
    phone: Option<String>,
    email: Option<String>,
    website: Option<String>,
    bip: Option<String>,
}

#[derive(Default)]
pub struct TenantQuery;

#[Object]
impl TenantQuery {
    /// The municipality of this host. Public. Not available on the platform host.
    async fn tenant(&self, gql: &Context<'_>) -> async_graphql::Result<TenantInfo> {
        let tenant = ctx(gql)?.tenant().map_err(|e| e.extend())?;
        let c = tenant.config();
        Ok(TenantInfo {
            slug: c.slug.to_string(),
            name: c.name.clone(),
            kind: c.kind,
            county_rights: c.county_rights,
            teryt: c.teryt.clone(),
            population: c.population,
            e_services: c.e_services.clone(),
            address: Address {
                street: c.address.street.clone(),
                postal_code: c.address.postal_code.clone(),
                city: c.address.city.clone(),
            },
            contact: Contact {
                phone: c.contact.phone.clone(),
                email: c.contact.email.clone(),
                website: c.contact.website.clone(),
                bip: c.contact.bip.clone(),
            },
        })
    }
}
