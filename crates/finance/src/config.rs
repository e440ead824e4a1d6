//! The tenant's `[fees]` table: its chart of accounts, posting accounts, virtual-account
//! settings and the fee catalogue (obligation kinds). Each kind is effective-dated: the same
//! code may appear with several `valid_from` dates, and a council resolution that changes a
//! schedule is a new row, not a release.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{InterestRegime, RatioInterest, Remainder, ScheduleRule};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeesConfig {
    /// The tenant's chart of accounts (synthetic accounts; analytics are per party and obligation).
    pub accounts: Vec<AccountDef>,
    pub posting: PostingAccounts,
    pub virtual_accounts: Option<VirtualAccountsConfig>,
    /// Where the remainder of whole-złoty installments goes.
    #[serde(default = "default_remainder")]
    pub installment_remainder: Remainder,
    /// Which interest figure the art. 55 § 2 ratio uses.
    #[serde(default = "default_ratio")]
    pub interest_ratio: RatioInterest,
    pub kinds: Vec<KindConfig>,
}

fn default_remainder() -> Remainder {
    Remainder::First
}

fn default_ratio() -> RatioInterest {
    RatioInterest::Rounded
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountDef {
    pub code: String,
    pub name: String,
}

/// The accounts payments and interest are posted to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostingAccounts {
    /// Cash desk (kasa), e.g. "101".
    pub cash: String,
    /// Bank account of the unit's income, e.g. "130".
    pub bank: String,
    /// Money in transit (gateway payments not yet on the statement), e.g. "141".
    pub in_transit: String,
    /// Unidentified receipts, e.g. "240".
    pub unidentified: String,
    /// Revenue from late-payment interest (in a gmina's books: 720).
    pub interest_revenue: String,
    /// Revenue from dunning costs.
    pub costs_revenue: String,
    /// Where overpayments (credit balances not tied to an obligation) are kept, e.g. "221".
    pub overpayment: String,
    /// Dunning costs owed (koszty upomnienia), booked when the notice is delivered, e.g.
    /// "221-98".
    #[serde(default = "default_costs_receivable")]
    pub costs_receivable: String,
    /// Payment gateways' commissions kept back from their payouts (a cost), e.g. "402".
    #[serde(default = "default_gateway_fees")]
    pub gateway_fees: String,
}

fn default_costs_receivable() -> String {
    "221-98".to_owned()
}

fn default_gateway_fees() -> String {
    "402".to_owned()
}

/// Individual virtual account numbers: NRB = check digits + the bank's settlement number + a
/// 16-digit client part made of `client_prefix`, a two-digit kind number and the party number.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualAccountsConfig {
    pub settlement_number: String,
    pub client_prefix: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    pub dzial: String,
    pub rozdzial: String,
    pub paragraf: String,
}

/// One version of an obligation kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindConfig {
    pub code: String,
    pub name: String,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    pub classification: Classification,
    pub receivable_account: String,
    pub revenue_account: String,
    pub interest: InterestRegime,
    /// Tax amounts in full złoty (art. 63 § 1 OP); fees and civil receivables in grosze.
    pub whole_zloty: bool,
    pub schedule: ScheduleRule,
    /// Each party gets its own virtual account for this kind.
    #[serde(default)]
    pub virtual_account: bool,
}

/// A configuration error naming the field within `[fees]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FeesConfig {
    pub fn from_table(table: &toml::Table) -> Result<Self, FieldError> {
        let config: FeesConfig =
            toml::Value::Table(table.clone())
                .try_into()
                .map_err(|e: toml::de::Error| FieldError {
                    field: "fees".into(),
                    message: e.message().to_owned(),
                })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), FieldError> {
        let fail = |field: String, message: String| Err(FieldError { field, message });
        let known = |code: &str| {
            self.accounts
                .iter()
                .any(|a| a.code == code || code.starts_with(&format!("{}-", a.code)))
        };
        let p = &self.posting;
        for (name, code) in [
            ("cash", &p.cash),
            ("bank", &p.bank),
            ("in_transit", &p.in_transit),
            ("unidentified", &p.unidentified),
            ("interest_revenue", &p.interest_revenue),
            ("costs_revenue", &p.costs_revenue),
            ("overpayment", &p.overpayment),
        ] {
            if !known(code) {
                return fail(
                    format!("fees.posting.{name}"),
                    format!("account `{code}` is not in fees.accounts"),
                );
            }
        }
        if let Some(va) = &self.virtual_accounts {
            let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
            if va.settlement_number.len() != 8 || !digits(&va.settlement_number) {
                return fail(
                    "fees.virtual_accounts.settlement_number".into(),
                    "must be the bank's 8-digit settlement number".into(),
                );
            }
            if va.client_prefix.len() > 4 || !digits(&va.client_prefix) {
                return fail(
                    "fees.virtual_accounts.client_prefix".into(),
                    "must be at most 4 digits".into(),
                );
            }
        }
        for (i, kind) in self.kinds.iter().enumerate() {
            let field = |name: &str| format!("fees.kinds[{i}].{name}");
            if !known(&kind.receivable_account) {
                return fail(
                    field("receivable_account"),
                    format!(
                        "account `{}` is not in fees.accounts",
                        kind.receivable_account
                    ),
                );
            }
            if !known(&kind.revenue_account) {
                return fail(
                    field("revenue_account"),
                    format!("account `{}` is not in fees.accounts", kind.revenue_account),
                );
            }
            let c = &kind.classification;
            let ok = c.dzial.len() == 3
                && c.rozdzial.len() == 5
                && c.paragraf.len() == 4
                && c.rozdzial.starts_with(&c.dzial);
            if !ok {
                return fail(
                    field("classification"),
                    "dział has 3 digits, rozdział 5 starting with the dział, paragraf 4".into(),
                );
            }
            if kind.valid_to.is_some_and(|to| to < kind.valid_from) {
                return fail(field("valid_to"), "ends before it starts".into());
            }
            let overlapping = self.kinds.iter().take(i).any(|other| {
                other.code == kind.code
                    && other.valid_to.is_none_or(|to| to >= kind.valid_from)
                    && kind.valid_to.is_none_or(|to| to >= other.valid_from)
            });
            if overlapping {
                return fail(
                    field("valid_from"),
                    format!("overlaps another version of `{}`", kind.code),
                );
            }
            if kind.virtual_account && self.virtual_accounts.is_none() {
                return fail(
                    field("virtual_account"),
                    "needs fees.virtual_accounts".into(),
                );
            }
        }
        Ok(())
    }

    /// The version of kind `code` in force on `date`.
    pub fn kind_at(&self, code: &str, date: NaiveDate) -> Option<&KindConfig> {
        self.kinds.iter().find(|k| {
            k.code == code && k.valid_from <= date && k.valid_to.is_none_or(|to| to >= date)
        })
    }

    /// Distinct kind codes, in catalogue order (a kind's number in virtual accounts).
    pub fn kind_codes(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = Vec::new();
        for k in &self.kinds {
            if !codes.contains(&k.code.as_str()) {
                codes.push(&k.code);
            }
        }
        codes
    }
}
