//! Parties (podatnicy, kontrahenci): who owes. An account acts for a party only through a
//! recorded link: a verified PESEL, the access code printed on a decision, or a clerk.

use chrono::Duration;
use hmac::{Hmac, Mac};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;
use wspolnota_core::value::{Email, Nip, Nrb, Pesel, PostalCode, Regon};
use wspolnota_core::{AccountId, AppError, AppResult, ClerkScope, Ctx, TenantDb, audit};

use super::Finance;
use crate::config::FeesConfig;
use crate::entity::{access_code, party, party_link, virtual_account};

#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum PartyKind {
    /// A natural person (PESEL).
    Person,
    /// A legal person, unit or firm (NIP, REGON).
    Organisation,
}

impl PartyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Organisation => "organisation",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "person" {
            Self::Person
        } else {
            Self::Organisation
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AddressInput {
    pub street: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewParty {
    pub kind: PartyKind,
    pub name: String,
    pub pesel: Option<String>,
    pub nip: Option<String>,
    pub regon: Option<String>,
    pub krs: Option<String>,
    pub address: AddressInput,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl Finance {
    /// HMAC of a PESEL under the platform key: the same value the identity provider's
    /// verified PESEL gets, so accounts and parties meet without sharing the number.
    pub fn pesel_hmac(&self, pesel: &Pesel) -> AppResult<String> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.pesel_key()).map_err(AppError::internal)?;
        mac.update(pesel.reveal().as_bytes());
        Ok(hex(&mac.finalize().into_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn opt_trim(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Registers a party and its virtual accounts (clerk, finance scope).
pub async fn create_party(fin: &Finance, ctx: &Ctx, input: NewParty) -> AppResult<party::Model> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let tx = TenantDb::begin(ctx).await?;
    let party = insert_party(fin, ctx, &*tx, input).await?;
    audit::record(
        &tx,
        ctx,
        "finance.party.created",
        serde_json::json!({ "party": party.id, "number": party.number }),
    )
    .await?;
    tx.commit().await?;
    Ok(party)
}

/// Inserts a party inside the caller's transaction (also used by demo seeding and imports).
pub async fn insert_party<C: ConnectionTrait>(
    fin: &Finance,
    ctx: &Ctx,
    db: &C,
    input: NewParty,
) -> AppResult<party::Model> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 300 {
        return Err(AppError::validation("name", "must be 1 to 300 characters"));
    }
    let pesel = match opt_trim(&input.pesel) {
        Some(p) => Some(Pesel::parse(&p).map_err(|e| AppError::invalid("pesel", e))?),
        None => None,
    };
    let nip = match opt_trim(&input.nip) {
        Some(n) => Some(Nip::parse(&n).map_err(|e| AppError::invalid("nip", e))?),
        None => None,
    };
    let regon = match opt_trim(&input.regon) {
        Some(r) => Some(Regon::parse(&r).map_err(|e| AppError::invalid("regon", e))?),
        None => None,
    };
    let krs = opt_trim(&input.krs);
    if let Some(k) = &krs
        && !(k.len() == 10 && k.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(AppError::validation("krs", "KRS number has 10 digits"));
    }
    match input.kind {
        PartyKind::Person if pesel.is_none() && nip.is_none() => {
            return Err(AppError::validation(
                "pesel",
                "a natural person needs a PESEL (or a NIP)",
            ));
        }
        PartyKind::Organisation if nip.is_none() && regon.is_none() => {
            return Err(AppError::validation(
                "nip",
                "an organisation needs a NIP or a REGON",
            ));
        }
        _ => {}
    }
    let postal_code = match opt_trim(&input.address.postal_code) {
        Some(p) => {
            Some(PostalCode::parse(&p).map_err(|e| AppError::invalid("address.postalCode", e))?)
        }
        None => None,
    };
    let email = match opt_trim(&input.email) {
        Some(e) => Some(Email::parse(&e).map_err(|err| AppError::invalid("email", err))?),
        None => None,
    };
    // From here to the insert nothing may interleave with another creation in this tenant:
    // the PESEL check and the next number read what the other would write.
    serialize_creation(db).await?;
    if let Some(p) = &pesel {
        let taken = party::Entity::find()
            .filter(party::Column::Pesel.eq(p.reveal()))
            .count(db)
            .await?;
        if taken > 0 {
            return Err(AppError::conflict("a party with this PESEL already exists"));
        }
    }
    let number = next_number(db).await?;
    let model = party::ActiveModel {
        id: Set(Uuid::now_v7()),
        number: Set(number),
        kind: Set(input.kind.as_str().to_owned()),
        name: Set(name.to_owned()),
        pesel_hmac: Set(match &pesel {
            Some(p) => Some(fin.pesel_hmac(p)?),
            None => None,
        }),
        pesel: Set(pesel.map(|p| p.reveal().to_owned())),
        nip: Set(nip.map(|n| n.as_str().to_owned())),
        regon: Set(regon.map(|r| r.as_str().to_owned())),
        krs: Set(krs),
        street: Set(opt_trim(&input.address.street)),
        postal_code: Set(postal_code.map(|p| p.as_str().to_owned())),
        city: Set(opt_trim(&input.address.city)),
        email: Set(email.map(|e| e.as_str().to_owned())),
        phone: Set(opt_trim(&input.phone)),
        created_at: Set(ctx.clock().now()),
    }
    .insert(db)
    .await?;
    create_virtual_accounts(db, &fin.fees(ctx)?, &model).await?;
    Ok(model)
}

/// Takes the tenant's party-creation lock until the transaction ends. On PostgreSQL an advisory
/// lock keyed by the tenant's schema; SQLite's tenant transaction already holds the only writer
/// slot from its start.
async fn serialize_creation<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.finance_parties.create'))",
        )
        .await?;
    }
    Ok(())
}

async fn next_number<C: ConnectionTrait>(db: &C) -> AppResult<i64> {
    let max: Option<i64> = party::Entity::find()
        .select_only()
        .column_as(Expr::col(party::Column::Number).max(), "max")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    Ok(max.unwrap_or(0) + 1)
}

/// One virtual NRB per kind configured so: settlement number + prefix + kind number + party number.
async fn create_virtual_accounts<C: ConnectionTrait>(
    db: &C,
    fees: &FeesConfig,
    p: &party::Model,
) -> AppResult<()> {
    let Some(va) = &fees.virtual_accounts else {
        return Ok(());
    };
    let codes = fees.kind_codes();
    for (i, code) in codes.iter().enumerate() {
        let wants = fees
            .kinds
            .iter()
            .any(|k| k.code == *code && k.virtual_account);
        if !wants {
            continue;
        }
        let nrb = virtual_nrb(&va.settlement_number, &va.client_prefix, i + 1, p.number)?;
        virtual_account::ActiveModel {
            nrb: Set(nrb.as_str().to_owned()),
            party_id: Set(p.id),
            kind_code: Set((*code).to_owned()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The virtual account of party `number` for the kind at position `kind_no` (1-based).
pub fn virtual_nrb(settlement: &str, prefix: &str, kind_no: usize, number: i64) -> AppResult<Nrb> {
    let width = 16 - prefix.len() - 2;
    let party = format!("{number:0width$}");
    if party.len() > width || kind_no > 99 {
        return Err(AppError::internal(std::io::Error::other(
            "party number does not fit the virtual account",
        )));
    }
    Nrb::from_parts(settlement, &format!("{prefix}{kind_no:02}{party}"))
        .map_err(|e| AppError::internal(std::io::Error::other(e.to_string())))
}

/// The parties an account may act for.
pub async fn linked_parties<C: ConnectionTrait>(
    db: &C,
    account: AccountId,
) -> AppResult<Vec<party::Model>> {
    let ids: Vec<Uuid> = party_link::Entity::find()
        .filter(party_link::Column::AccountId.eq(account.0))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.party_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(party::Entity::find()
        .filter(party::Column::Id.is_in(ids))
        .order_by_asc(party::Column::Number)
        .all(db)
        .await?)
}

/// Records that `account` may act for `party`.
pub async fn link<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    account: AccountId,
    party: Uuid,
    method: &str,
) -> AppResult<bool> {
    let exists = party_link::Entity::find_by_id((account.0, party))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    party_link::ActiveModel {
        account_id: Set(account.0),
        party_id: Set(party),
        method: Set(method.to_owned()),
        granted_by: Set(ctx.account_id().map(|a| a.0)),
        granted_at: Set(ctx.clock().now()),
    }
    .insert(db)
    .await?;
    Ok(true)
}

/// A clerk links an account to a party (e.g. a firm's representative at the desk).
pub async fn clerk_link(ctx: &Ctx, account: AccountId, party_id: Uuid) -> AppResult<()> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let tx = TenantDb::begin(ctx).await?;
    party::Entity::find_by_id(party_id)
        .one(&*tx)
        .await?
        .ok_or_else(|| AppError::validation("partyId", "no such party"))?;
    link(&*tx, ctx, account, party_id, "clerk").await?;
    audit::record(
        &tx,
        ctx,
        "finance.party.linked",
        serde_json::json!({ "party": party_id, "account": account.to_string(), "method": "clerk" }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Links the signed-in account to every party with the PESEL its identity provider verified.
pub async fn link_verified(ctx: &Ctx, pesel_hmac: &str) -> AppResult<usize> {
    let account = ctx.require_account()?;
    let tx = TenantDb::begin(ctx).await?;
    let parties = party::Entity::find()
        .filter(party::Column::PeselHmac.eq(pesel_hmac))
        .all(&*tx)
        .await?;
    let mut linked = 0;
    for p in parties {
        if link(&*tx, ctx, account, p.id, "pesel").await? {
            audit::record(
                &tx,
                ctx,
                "finance.party.linked",
                serde_json::json!({ "party": p.id, "method": "pesel" }),
            )
            .await?;
            linked += 1;
        }
    }
    tx.commit().await?;
    Ok(linked)
}

fn code_hash(party: Uuid, code: &str) -> String {
    hex(&Sha256::digest(
        format!("{party}:{}", code.trim().to_ascii_uppercase()).as_bytes(),
    ))
}

/// Issues a one-time access code for a party, printed on its tax decision. Returns the code.
pub async fn issue_access_code<C: ConnectionTrait>(
    db: &C,
    ctx: &Ctx,
    party: Uuid,
    valid_days: i64,
) -> AppResult<String> {
    // 10 characters from an alphabet without look-alikes: ~50 bits, and guessing is rate-limited.
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let raw = Uuid::new_v4();
    let code: String = raw
        .as_bytes()
        .iter()
        .take(10)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    let now = ctx.clock().now();
    access_code::ActiveModel {
        party_id: Set(party),
        code_hash: Set(code_hash(party, &code)),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(valid_days)),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(code)
}

/// A resident links their account using the party number and access code from a decision.
/// Attempts are limited per account, so codes cannot be guessed.
pub async fn redeem_access_code(
    ctx: &Ctx,
    party_number: i64,
    code: &str,
) -> AppResult<party::Model> {
    let account = ctx.require_account()?;
    let attempts = ctx
        .kv()
        .incr(
            &format!("access-code:{account}"),
            std::time::Duration::from_secs(3600),
        )
        .await?;
    if attempts > 10 {
        return Err(AppError::rate_limited(
            "too many access-code attempts; try again in an hour",
        ));
    }
    let wrong = || {
        AppError::validation(
            "code",
            "the party number or the access code is wrong or expired",
        )
    };
    let tx = TenantDb::begin(ctx).await?;
    let p = party::Entity::find()
        .filter(party::Column::Number.eq(party_number))
        .one(&*tx)
        .await?
        .ok_or_else(wrong)?;
    let now = ctx.clock().now();
    let row = access_code::Entity::find_by_id(code_hash(p.id, code))
        .one(&*tx)
        .await?
        .ok_or_else(wrong)?;
    if row.used_at.is_some() || row.expires_at <= now {
        return Err(wrong());
    }
    let mut used: access_code::ActiveModel = row.into();
    used.used_at = Set(Some(now));
    used.update(&*tx).await?;
    link(&*tx, ctx, account, p.id, "access_code").await?;
    audit::record(
        &tx,
        ctx,
        "finance.party.linked",
        serde_json::json!({ "party": p.id, "method": "access_code" }),
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

/// The party's name in lower case for a case-insensitive match. SQLite's `lower()` only knows
/// ASCII, so the Polish capitals are folded first (`REPLACE`), the same on both backends.
fn folded_name() -> Expr {
    const POLISH: [(&str, &str); 9] = [
        ("Ą", "ą"),
        ("Ć", "ć"),
        ("Ę", "ę"),
        ("Ł", "ł"),
        ("Ń", "ń"),
        ("Ó", "ó"),
        ("Ś", "ś"),
        ("Ź", "ź"),
        ("Ż", "ż"),
    ];
    let mut name = Expr::col(party::Column::Name);
    for (upper, lower) in POLISH {
        name = Func::cust("REPLACE").arg(name).arg(upper).arg(lower).into();
    }
    Func::lower(name).into()
}

/// Clerk search by name fragment, PESEL, NIP, party number or virtual account.
pub async fn search(ctx: &Ctx, query: &str, limit: u64) -> AppResult<Vec<party::Model>> {
    ctx.require_clerk(ClerkScope::Finance)?;
    let q = query.trim();
    if q.is_empty() {
        return Err(AppError::validation("query", "must not be empty"));
    }
    let tx = TenantDb::begin(ctx).await?;
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let mut cond =
        Condition::any().add(Expr::expr(folded_name()).like(format!("%{}%", q.to_lowercase())));
    if !digits.is_empty()
        && digits.len()
            == q.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .count()
    {
        cond = cond
            .add(party::Column::Pesel.eq(digits.as_str()))
            .add(party::Column::Nip.eq(digits.as_str()));
        if let Ok(n) = digits.parse::<i64>() {
            cond = cond.add(party::Column::Number.eq(n));
        }
        if digits.len() == 26
            && let Some(va) = virtual_account::Entity::find_by_id(digits.clone())
                .one(&*tx)
                .await?
        {
            cond = cond.add(party::Column::Id.eq(va.party_id));
        }
    }
    let found = party::Entity::find()
        .filter(cond)
        .order_by_asc(party::Column::Number)
        .limit(std::cmp::Ord::min(limit, 200))
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}
