//! The payments e-service's GraphQL: `payments { start refund }` mutations, `payments {
//! payment mine gateways }` queries and the `paymentStatus(id)` subscription, which pushes each
//! change through the key-value store's pub/sub (Redis when configured, so across replicas).

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Object, SimpleObject, Subscription,
};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, stream};
use uuid::Uuid;
use wspolnota_core::graphql::{EServiceGuard, RequestMeta, ctx, eservice_visible};
use wspolnota_core::{AppError, ClerkScope, Money};

use crate::config::parse_kind;
use crate::gateway::GatewayKind;
use crate::routes::ID_;
use crate::service::start::{Action, StartInput};
use crate::service::views::PaymentDetails;
use crate::service::{Payments, payouts, refund, start, sweep, transition, views};
use crate::state;

fn visible(gql: &Context<'_>) -> bool {
    eservice_visible(gql, ID_)
}

fn pay<'a>(gql: &Context<'a>) -> async_graphql::Result<&'a Payments> {
    gql.data::<Payments>()
}

fn uuid(field: &str, id: &ID) -> async_graphql::Result<Uuid> {
    wspolnota_core::graphql::parse_id(field, id)
}

/// How the payer pays.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PaymentGateway")]
pub enum Gateway {
    /// The platform's test gateway (no money moves).
    Sandbox,
    PayU,
    Przelewy24,
    PayPal,
    /// KIR Paybynet: pay-by-link from one's bank.
    Paybynet,
    /// An ordinary transfer to the party's account, with a QR code.
    Transfer,
}

impl From<Gateway> for GatewayKind {
    fn from(g: Gateway) -> Self {
        match g {
            Gateway::Sandbox => Self::Sandbox,
            Gateway::PayU => Self::PayU,
            Gateway::Przelewy24 => Self::Przelewy24,
            Gateway::PayPal => Self::PayPal,
            Gateway::Paybynet => Self::Paybynet,
            Gateway::Transfer => Self::Transfer,
        }
    }
}

impl From<GatewayKind> for Gateway {
    fn from(k: GatewayKind) -> Self {
        match k {
            GatewayKind::Sandbox => Self::Sandbox,
            GatewayKind::PayU => Self::PayU,
            GatewayKind::Przelewy24 => Self::Przelewy24,
            GatewayKind::PayPal => Self::PayPal,
            GatewayKind::Paybynet => Self::Paybynet,
            GatewayKind::Transfer => Self::Transfer,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "PaymentStatus")]
pub enum Status {
    Created,
    Started,
    Submitted,
    Succeeded,
    Failed,
    Cancelled,
    Expired,
    Error,
}

impl From<state::PaymentStatus> for Status {
    fn from(s: state::PaymentStatus) -> Self {
        use state::PaymentStatus as S;
        match s {
            S::Created => Self::Created,
            S::Started => Self::Started,
            S::Submitted => Self::Submitted,
            S::Succeeded => Self::Succeeded,
            S::Failed => Self::Failed,
            S::Cancelled => Self::Cancelled,
            S::Expired => Self::Expired,
            S::Error => Self::Error,
        }
    }
}

#[derive(InputObject)]
pub struct StartPaymentInput {
    /// The installments to pay (their interest up to today and any dunning costs are added).
    pub installment_ids: Option<Vec<ID>>,
    /// Pay everything overdue or due today instead.
    pub pay_all_due: Option<bool>,
    /// Required when the account acts for several parties.
    pub party_id: Option<ID>,
    /// The tenant's default gateway when omitted.
    pub gateway: Option<Gateway>,
    /// A pay-by-link bank code, to go straight to one's bank.
    pub bank: Option<String>,
    /// A page of this municipality's site; `{paymentId}` is replaced.
    pub return_url: Option<String>,
    /// For clients that cannot send the `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
#[graphql(name = "PaymentFormField")]
pub struct FormField {
    pub name: String,
    pub value: String,
}

/// An auto-posted form (pay-by-link gateways).
#[derive(SimpleObject)]
#[graphql(name = "PaymentForm")]
pub struct PaymentForm {
    pub url: String,
    pub fields: Vec<FormField>,
}

/// Pay by transfer: the account, title and amount, and the ZBP 2D code (none above
/// 9 999,99 zł, which the code cannot carry).
#[derive(SimpleObject)]
#[graphql(name = "TransferInstructions")]
pub struct TransferInstructions {
    pub nrb: String,
    pub title: String,
    pub amount: Money,
    pub qr_svg: Option<String>,
}

#[derive(SimpleObject)]
#[graphql(name = "PaymentInstallment")]
pub struct PaymentInstallment {
    pub id: ID,
    /// Outstanding when the payment started.
    pub principal: Money,
    /// Interest up to the day the payment started.
    pub interest: Money,
}

#[derive(SimpleObject)]
#[graphql(name = "PaymentRefund")]
pub struct Refund {
    pub id: ID,
    pub amount: Money,
    pub reason: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// A payment made online (or by transfer instructions) through the platform.
pub struct Payment(PaymentDetails);

#[Object(name = "OnlinePayment")]
impl Payment {
    async fn id(&self) -> ID {
        ID(self.0.payment.id.to_string())
    }

    async fn status(&self) -> async_graphql::Result<Status> {
        Ok(transition::status_of(&self.0.payment)
            .map_err(|e| e.extend())?
            .into())
    }

    async fn amount(&self) -> Money {
        Money::from_grosze(self.0.payment.amount)
    }

    async fn gateway(&self) -> async_graphql::Result<Gateway> {
        parse_kind(&self.0.payment.gateway)
            .map(Gateway::from)
            .ok_or_else(|| AppError::internal(std::io::Error::other("unknown gateway")).extend())
    }

    async fn description(&self) -> &str {
        &self.0.payment.description
    }

    async fn party_id(&self) -> ID {
        ID(self.0.payment.party_id.to_string())
    }

    async fn installments(&self) -> Vec<PaymentInstallment> {
        self.0
            .installments
            .iter()
            .map(|i| PaymentInstallment {
                id: ID(i.installment_id.to_string()),
                principal: Money::from_grosze(i.principal),
                interest: Money::from_grosze(i.interest),
            })
            .collect()
    }

    /// Where to send the payer (redirect gateways and the sandbox).
    async fn redirect_url(&self) -> Option<String> {
        match Action::of(&self.0.payment)? {
            Action::Redirect { url } => Some(url),
            _ => None,
        }
    }

    /// A form to post (pay-by-link gateways).
    async fn form(&self) -> Option<PaymentForm> {
        match Action::of(&self.0.payment)? {
            Action::Form { url, fields } => Some(PaymentForm {
                url,
                fields: fields
                    .into_iter()
                    .map(|(name, value)| FormField { name, value })
                    .collect(),
            }),
            _ => None,
        }
    }

    async fn transfer(&self) -> Option<TransferInstructions> {
        match Action::of(&self.0.payment)? {
            Action::Transfer {
                nrb,
                title,
                amount,
                qr_svg,
            } => Some(TransferInstructions {
                nrb,
                title,
                amount: Money::from_grosze(amount),
                qr_svg,
            }),
            _ => None,
        }
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.payment.created_at
    }

    /// Until then the installments stay locked; afterwards the sweeper asks the provider.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.payment.expires_at
    }

    /// When the gateway took the money.
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.payment.paid_at
    }

    async fn refunded(&self) -> Money {
        Money::from_grosze(self.0.payment.refunded)
    }

    /// The printable receipt (succeeded payments).
    async fn receipt_url(&self) -> Option<String> {
        (self.0.payment.status == state::PaymentStatus::Succeeded.as_str())
            .then(|| format!("/payments/{}/receipt", self.0.payment.id))
    }

    /// Why a clerk should look at it (finance clerks only).
    async fn review(&self, gql: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let clerk = ctx(gql)?.roles().is_clerk_for(ClerkScope::Finance);
        Ok(self.0.payment.review.clone().filter(|_| clerk))
    }

    async fn refunds(&self, gql: &Context<'_>) -> async_graphql::Result<Vec<Refund>> {
        let rows = refund::of_payment(ctx(gql)?, self.0.payment.id)
            .await
            .map_err(|e| e.extend())?;
        Ok(rows.into_iter().map(refund_view).collect())
    }
}

fn refund_view(r: crate::entity::refund::Model) -> Refund {
    Refund {
        id: ID(r.id.to_string()),
        amount: Money::from_grosze(r.amount),
        reason: r.reason,
        status: r.status,
        created_at: r.created_at,
    }
}

#[derive(SimpleObject)]
#[graphql(name = "PaymentGatewayOption")]
pub struct GatewayOption {
    pub gateway: Gateway,
    /// The one the portal preselects.
    pub is_default: bool,
    /// Test mode: no real money moves.
    pub test_mode: bool,
}

#[derive(SimpleObject)]
#[graphql(name = "PaymentSweepResult")]
pub struct SweepResult {
    pub notifications: i32,
    pub expired: i32,
    pub settled: i32,
}

/// A gateway's transfer of collected payments to the municipality's bank account.
#[derive(SimpleObject)]
pub struct GatewayPayout {
    pub id: ID,
    /// What the transfer's title carries.
    pub reference: String,
    pub gross: Money,
    pub fee: Money,
    /// What reaches the bank.
    pub amount: Money,
    pub payments: Vec<ID>,
}

#[derive(Default)]
pub struct PaymentsQueryRoot;

#[Object]
impl PaymentsQueryRoot {
    /// Online payments of what is owed to the municipality.
    #[graphql(guard = "EServiceGuard(ID_)", visible = "visible")]
    async fn payments(&self) -> PaymentsQuery {
        PaymentsQuery
    }
}

pub struct PaymentsQuery;

#[Object]
impl PaymentsQuery {
    /// One payment: the payer's own, or any for a finance clerk.
    async fn payment(&self, gql: &Context<'_>, id: ID) -> async_graphql::Result<Payment> {
        let id = uuid("id", &id)?;
        Ok(Payment(
            views::get(ctx(gql)?, id).await.map_err(|e| e.extend())?,
        ))
    }

    /// The payments of the parties the signed-in account acts for, newest first.
    async fn mine(
        &self,
        gql: &Context<'_>,
        party_id: Option<ID>,
        #[graphql(default = 50)] limit: i32,
    ) -> async_graphql::Result<Vec<Payment>> {
        let party = party_id.as_ref().map(|p| uuid("partyId", p)).transpose()?;
        let limit = u64::try_from(limit).unwrap_or(1);
        Ok(views::mine(ctx(gql)?, party, limit)
            .await
            .map_err(|e| e.extend())?
            .into_iter()
            .map(Payment)
            .collect())
    }

    /// The ways to pay this municipality offers.
    async fn gateways(&self, gql: &Context<'_>) -> async_graphql::Result<Vec<GatewayOption>> {
        let config = pay(gql)?.config(ctx(gql)?).map_err(|e| e.extend())?;
        Ok(config
            .gateways
            .iter()
            .map(|g| GatewayOption {
                gateway: g.kind().into(),
                is_default: config.default == Some(g.kind()),
                test_mode: g.mode == crate::config::GatewayMode::Sandbox,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct PaymentsMutationRoot;

#[Object]
impl PaymentsMutationRoot {
    /// Online payments: start one, refund one.
    #[graphql(guard = "EServiceGuard(ID_)", visible = "visible")]
    async fn payments(&self) -> PaymentsMutation {
        PaymentsMutation
    }
}

pub struct PaymentsMutation;

#[Object]
impl PaymentsMutation {
    /// Starts paying the chosen installments (or everything due). Send an `Idempotency-Key`
    /// header: a retry with the same key and request answers with the same payment.
    async fn start(
        &self,
        gql: &Context<'_>,
        input: StartPaymentInput,
    ) -> async_graphql::Result<Payment> {
        let ctx = ctx(gql)?;
        let meta = gql.data_opt::<RequestMeta>().cloned().unwrap_or_default();
        let mut installment_ids = Vec::new();
        for (i, id) in input.installment_ids.unwrap_or_default().iter().enumerate() {
            installment_ids.push(uuid(&format!("installmentIds[{i}]"), id)?);
        }
        let started = start::start(
            pay(gql)?,
            ctx,
            StartInput {
                installment_ids,
                pay_all_due: input.pay_all_due.unwrap_or(false),
                party_id: input
                    .party_id
                    .as_ref()
                    .map(|p| uuid("partyId", p))
                    .transpose()?,
                gateway: input.gateway.map(Into::into),
                bank: input.bank,
                return_url: input.return_url,
                idempotency_key: meta.idempotency_key.or(input.idempotency_key),
                payer_ip: meta.client_addr,
            },
        )
        .await
        .map_err(|e| e.extend())?;
        Ok(Payment(
            views::get(ctx, started.payment.id)
                .await
                .map_err(|e| e.extend())?,
        ))
    }

    /// Finance clerk: returns a succeeded payment to the payer through its gateway and
    /// reverses its posting.
    async fn refund(
        &self,
        gql: &Context<'_>,
        payment_id: ID,
        reason: String,
    ) -> async_graphql::Result<Refund> {
        let id = uuid("paymentId", &payment_id)?;
        let row = refund::refund(pay(gql)?, ctx(gql)?, id, &reason)
            .await
            .map_err(|e| e.extend())?;
        Ok(refund_view(row))
    }

    /// Finance clerk, sandbox only: the test gateway pays out the succeeded sandbox payments
    /// not paid out yet, keeping `fee` back; the transfer's title carries the reference.
    async fn sandbox_payout(
        &self,
        gql: &Context<'_>,
        fee: Option<Money>,
    ) -> async_graphql::Result<GatewayPayout> {
        let p = payouts::sandbox_payout(pay(gql)?, ctx(gql)?, fee.unwrap_or(Money::ZERO))
            .await
            .map_err(|e| e.extend())?;
        Ok(GatewayPayout {
            id: ID(p.payout.id.to_string()),
            reference: p.payout.reference,
            gross: Money::from_grosze(p.payout.gross),
            fee: Money::from_grosze(p.payout.fee),
            amount: Money::from_grosze(p.payout.amount),
            payments: p
                .items
                .iter()
                .map(|i| ID(i.payment_id.to_string()))
                .collect(),
        })
    }

    /// Finance clerk: runs the sweeper now (it also runs by itself every 30 seconds).
    async fn sweep(&self, gql: &Context<'_>) -> async_graphql::Result<SweepResult> {
        let ctx = ctx(gql)?;
        ctx.require_clerk(ClerkScope::Finance)
            .map_err(|e| e.extend())?;
        let s = sweep::sweep(pay(gql)?, ctx).await.map_err(|e| e.extend())?;
        let n = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
        Ok(SweepResult {
            notifications: n(s.notifications),
            expired: n(s.expired),
            settled: n(s.settled),
        })
    }
}

#[derive(Default)]
pub struct PaymentsSubscriptionRoot;

#[Subscription]
impl PaymentsSubscriptionRoot {
    /// The payment now, then again after each change of its status.
    #[graphql(guard = "EServiceGuard(ID_)", visible = "visible")]
    async fn payment_status(
        &self,
        gql: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<impl Stream<Item = Payment> + use<>> {
        let ctx = ctx(gql)?.clone();
        let id = uuid("id", &id)?;
        // Subscribe before reading, so no change falls between the two.
        let changes = ctx
            .kv()
            .subscribe(&transition::channel(id))
            .await
            .map_err(|e| e.extend())?;
        let now = views::get(&ctx, id).await.map_err(|e| e.extend())?;
        let updates = changes.then(move |_| {
            let ctx = ctx.clone();
            async move { views::get(&ctx, id).await.ok() }
        });
        Ok(stream::once(async move { Some(now) })
            .chain(updates)
            .filter_map(|p| async move { p.map(Payment) }))
    }
}
