//! Pages anyone may read: the tenant's home page, its accessibility statement, and the
//! portal's static assets (stylesheets, the coat-of-arms placeholder, the status script).

use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use wspolnota_core::{AppResult, Ctx};

use crate::layout::{Layout, Page};
use crate::theme::Theme;

/// The date the portal was first published, for statements whose tenant file names none.
const PORTAL_PUBLISHED: &str = "2026-11-27";

/// One line of contact data.
pub struct ContactLine {
    pub label: &'static str,
    pub value: String,
    /// A link (`tel:`, `mailto:`, `https:`) for the value, when it has one.
    pub href: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct Home {
    pub layout: Layout,
    pub signed_in: bool,
    pub services: Vec<&'static str>,
    pub contact: Vec<ContactLine>,
}

fn tel(phone: &str) -> String {
    let digits: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    if digits.starts_with('+') {
        format!("tel:{digits}")
    } else {
        format!("tel:+48{digits}")
    }
}

fn contact_lines(ctx: &Ctx) -> AppResult<Vec<ContactLine>> {
    let config = ctx.tenant()?.config();
    let mut lines = vec![ContactLine {
        label: "Adres",
        value: format!(
            "{}, {} {}",
            config.address.street, config.address.postal_code, config.address.city
        ),
        href: None,
    }];
    if let Some(phone) = config
        .portal
        .phone
        .as_ref()
        .or(config.contact.phone.as_ref())
    {
        lines.push(ContactLine {
            label: "Telefon",
            value: phone.clone(),
            href: Some(tel(phone)),
        });
    }
    if let Some(email) = config
        .portal
        .email
        .as_ref()
        .or(config.contact.email.as_ref())
    {
        lines.push(ContactLine {
            label: "E-mail",
            value: email.clone(),
            href: Some(format!("mailto:{email}")),
        });
    }
    if let Some(hours) = &config.portal.office_hours {
        lines.push(ContactLine {
            label: "Godziny pracy",
            value: hours.clone(),
            href: None,
        });
    }
    for (label, url) in [
        ("Strona internetowa", &config.contact.website),
        ("Biuletyn Informacji Publicznej", &config.contact.bip),
    ] {
        if let Some(url) = url
            .as_ref()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        {
            lines.push(ContactLine {
                label,
                value: url.clone(),
                href: Some(url.clone()),
            });
        }
    }
    Ok(lines)
}

pub async fn home(page: Page) -> Response {
    let result = async {
        let tenant = page.ctx.tenant()?.clone();
        let services = page
            .portal
            .eservices
            .iter()
            .filter(|(id, _)| tenant.has_eservice(id))
            .map(|(_, title)| *title)
            .collect();
        let layout = page.layout_maybe_user("Strona główna", "home").await;
        Ok(Home {
            signed_in: layout.user.is_some(),
            layout,
            services,
            contact: contact_lines(&page.ctx)?,
        }
        .into_response())
    }
    .await;
    page.finish(result).await
}

#[derive(Template, WebTemplate)]
#[template(path = "accessibility.html")]
pub struct Statement {
    pub layout: Layout,
    pub published_on: String,
    pub updated_on: String,
    pub prepared_on: String,
    pub contact_person: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub architectural: String,
    pub address: String,
}

pub async fn accessibility(page: Page) -> Response {
    let result = async {
        let config = page.ctx.tenant()?.config().clone();
        let p = &config.portal;
        let published = p
            .published_on
            .clone()
            .unwrap_or_else(|| PORTAL_PUBLISHED.to_owned());
        let updated = p.updated_on.clone().unwrap_or_else(|| published.clone());
        let prepared = p
            .statement_prepared_on
            .clone()
            .unwrap_or_else(|| updated.clone());
        let layout = page
            .layout_maybe_user("Deklaracja dostępności", "deklaracja")
            .await;
        Ok(Statement {
            layout,
            published_on: published,
            updated_on: updated,
            prepared_on: prepared,
            contact_person: p
                .accessibility_contact
                .clone()
                .unwrap_or_else(|| "Koordynator do spraw dostępności".to_owned()),
            contact_email: p
                .accessibility_email
                .clone()
                .or_else(|| p.email.clone())
                .or_else(|| config.contact.email.clone()),
            contact_phone: p
                .accessibility_phone
                .clone()
                .or_else(|| p.phone.clone())
                .or_else(|| config.contact.phone.clone()),
            architectural: p.architectural_accessibility.clone().unwrap_or_else(|| {
                "Informacje o dostępności architektonicznej budynku urzędu udziela koordynator \
                 do spraw dostępności (dane kontaktowe powyżej)."
                    .to_owned()
            }),
            address: format!(
                "{}, {} {}",
                config.address.street, config.address.postal_code, config.address.city
            ),
        }
        .into_response())
    }
    .await;
    page.finish(result).await
}

fn asset(content_type: &'static str, body: String, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}

pub async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../static/portal.css").to_owned(),
        "public, max-age=3600",
    )
}

pub async fn status_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../static/platnosc.js").to_owned(),
        "public, max-age=3600",
    )
}

pub async fn theme_css(Extension(ctx): Extension<Ctx>) -> Response {
    match ctx.tenant() {
        Ok(t) => asset(
            "text/css; charset=utf-8",
            Theme::of(t.config()).css(),
            "public, max-age=300",
        ),
        Err(e) => e.into_response(),
    }
}

/// A neutral shield in the tenant's colours with its initial: a placeholder until the office
/// supplies its coat of arms.
pub async fn coat_of_arms(Extension(ctx): Extension<Ctx>) -> Response {
    let tenant = match ctx.tenant() {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let theme = Theme::of(tenant.config());
    let initial: String = tenant
        .config()
        .name
        .split_whitespace()
        .last()
        .and_then(|w| w.chars().next())
        .filter(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 100 120\" width=\"100\" height=\"120\">\
         <path d=\"M5 5h90v55c0 30-20 48-45 57C25 108 5 90 5 60z\" fill=\"{primary}\" stroke=\"{focus}\" stroke-width=\"5\"/>\
         <text x=\"50\" y=\"72\" font-family=\"Georgia, serif\" font-size=\"52\" text-anchor=\"middle\" fill=\"{on}\">{initial}</text>\
         </svg>",
        primary = theme.primary,
        focus = theme.focus,
        on = theme.on_primary,
    );
    asset("image/svg+xml", svg, "public, max-age=300")
}
