//! What every page needs: the request (its `Ctx`, CSRF token, headers) as a [`Page`] extractor,
//! the [`Layout`] the base template renders (tenant, signed-in user, party selector), and the
//! mapping of errors to pages in Polish.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;
use wspolnota_core::{AppError, AppResult, Ctx, ErrorCode, TenantDb};
use wspolnota_finance::entity::party;
use wspolnota_finance::service::parties;

use crate::Portal;
use crate::csrf::CsrfToken;
use crate::session::{PARTY_COOKIE, cookie};

/// The request as a page handler sees it.
pub struct Page {
    pub ctx: Ctx,
    pub csrf: String,
    pub portal: Portal,
    pub headers: HeaderMap,
    /// The client's address (sign-in rate limits).
    pub client: String,
    /// The page asked for (path and query), to come back to after signing in.
    pub path: String,
    pub is_get: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let missing =
            || AppError::internal(std::io::Error::other("portal request without its context"));
        let ctx = parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| missing().into_response())?;
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .ok_or_else(|| missing().into_response())?;
        let portal = parts
            .extensions
            .get::<Portal>()
            .cloned()
            .ok_or_else(|| missing().into_response())?;
        let client = parts
            .extensions
            .get::<crate::ClientAddr>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.clone());
        Ok(Self {
            ctx,
            csrf,
            portal,
            headers: parts.headers.clone(),
            client,
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            is_get: parts.method == axum::http::Method::GET,
        })
    }
}

/// A party in the header's selector.
#[derive(Debug, Clone)]
pub struct PartyChoice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

/// The signed-in resident, as the header shows them.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub parties: Vec<PartyChoice>,
}

/// The frame of every page.
#[derive(Debug, Clone)]
pub struct Layout {
    pub tenant: String,
    pub title: String,
    pub csrf: String,
    /// The navigation entry of this page (`aria-current="page"`).
    pub current: &'static str,
    pub user: Option<User>,
    pub address: String,
}

impl Layout {
    pub fn is(&self, key: &str) -> bool {
        self.current == key
    }
}

fn party_label(p: &party::Model) -> String {
    format!("{} (nr {})", p.name, p.number)
}

/// The signed-in account's parties and the one it acts for now.
pub struct Acting {
    pub parties: Vec<party::Model>,
    pub active: Option<party::Model>,
}

impl Page {
    pub fn tenant_name(&self) -> String {
        self.ctx
            .tenant()
            .map(|t| t.config().name.clone())
            .unwrap_or_default()
    }

    /// A layout without the user (public pages, errors).
    pub fn basic(&self, title: &str, current: &'static str) -> Layout {
        let address = self
            .ctx
            .tenant()
            .map(|t| {
                let a = &t.config().address;
                format!("{}, {} {}", a.street, a.postal_code, a.city)
            })
            .unwrap_or_default();
        Layout {
            tenant: self.tenant_name(),
            title: title.to_owned(),
            csrf: self.csrf.clone(),
            current,
            user: None,
            address,
        }
    }

    /// The parties the signed-in account acts for; the active one is the party cookie's when
    /// it is one of them, else the first.
    pub async fn acting(&self) -> AppResult<Acting> {
        let account = self.ctx.require_account()?;
        let tx = TenantDb::begin(&self.ctx).await?;
        let parties = parties::linked_parties(&*tx, account).await?;
        tx.commit().await?;
        let chosen = cookie(&self.headers, PARTY_COOKIE).and_then(|c| Uuid::parse_str(c).ok());
        let active = chosen
            .and_then(|id| parties.iter().find(|p| p.id == id))
            .or_else(|| parties.first())
            .cloned();
        Ok(Acting { parties, active })
    }

    /// The layout of a signed-in page.
    pub async fn layout(&self, title: &str, current: &'static str) -> AppResult<(Layout, Acting)> {
        let me = self.portal.auth.me(&self.ctx).await?;
        let acting = self.acting().await?;
        let active = acting.active.as_ref().map(|p| p.id);
        let mut layout = self.basic(title, current);
        layout.user = Some(User {
            name: me.display_name,
            parties: acting
                .parties
                .iter()
                .map(|p| PartyChoice {
                    id: p.id.to_string(),
                    label: party_label(p),
                    selected: Some(p.id) == active,
                })
                .collect(),
        });
        Ok((layout, acting))
    }

    /// The layout for a page anyone may see, with the user when signed in.
    pub async fn layout_maybe_user(&self, title: &str, current: &'static str) -> Layout {
        if self.ctx.account_id().is_some()
            && let Ok((layout, _)) = self.layout(title, current).await
        {
            return layout;
        }
        self.basic(title, current)
    }

    /// The page, or the error as a page: sign-in first for pages that need it, a Polish
    /// message otherwise (details stay in the log).
    pub async fn finish(&self, result: AppResult<Response>) -> Response {
        match result {
            Ok(r) => r,
            Err(e) => self.error_page(e).await,
        }
    }

    /// The error as a page in the usual layout (with the resident's menu when signed in).
    pub async fn error_page(&self, e: AppError) -> Response {
        let (status, heading, message) = match e.code() {
            ErrorCode::Unauthenticated => {
                // Back to the page asked for after signing in (say, a payment's result page
                // reached from the gateway); "Moje należności" is where sign-in leads anyway.
                if self.is_get && self.path != "/naleznosci" && is_local_path(&self.path) {
                    let next: String =
                        url::form_urlencoded::byte_serialize(self.path.as_bytes()).collect();
                    return Redirect::to(&format!("/logowanie?next={next}")).into_response();
                }
                return Redirect::to("/logowanie").into_response();
            }
            ErrorCode::NotFound => (
                StatusCode::NOT_FOUND,
                "Nie znaleziono",
                "Nie ma takiej strony albo nie masz do niej dostępu.".to_owned(),
            ),
            ErrorCode::Forbidden => (
                StatusCode::FORBIDDEN,
                "Brak dostępu",
                "Nie masz uprawnień do tej strony.".to_owned(),
            ),
            ErrorCode::RateLimited => (
                StatusCode::TOO_MANY_REQUESTS,
                "Zbyt wiele prób",
                "Spróbuj ponownie za kilka minut.".to_owned(),
            ),
            ErrorCode::Conflict => (
                StatusCode::CONFLICT,
                "Nie można wykonać operacji",
                "Ta operacja koliduje z inną, która jest w toku (np. płatnością tych samych rat). Spróbuj ponownie za kilka minut.".to_owned(),
            ),
            ErrorCode::Upstream => (
                StatusCode::BAD_GATEWAY,
                "Usługa zewnętrzna nie odpowiada",
                "Operator płatności nie przyjął zlecenia. Spróbuj ponownie później.".to_owned(),
            ),
            ErrorCode::Validation => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Nie można wykonać operacji",
                "Sprawdź dane i spróbuj ponownie.".to_owned(),
            ),
            ErrorCode::Suspended => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Usługa niedostępna",
                "E-usługi tego urzędu są czasowo niedostępne.".to_owned(),
            ),
            ErrorCode::Internal => {
                tracing::error!(error = %e, source = ?std::error::Error::source(&e), "portal page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Wystąpił błąd",
                    "Przepraszamy, coś poszło nie tak. Spróbuj ponownie za chwilę.".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            layout: self.layout_maybe_user(heading, "").await,
            message,
        };
        (status, page).into_response()
    }
}

/// A path on this site (not `//host`, not a URL with a scheme): safe to redirect to.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn only_paths_of_this_site_are_followed_after_sign_in() {
        assert!(is_local_path("/platnosci/abc?x=1"));
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "evil",
            "/a\nb",
        ] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }
}
