//! sea-orm entities of the payments tables (see `migrations/src/tenant`). Money columns hold
//! grosze.

pub mod event;
pub mod inbox;
pub mod lock;
pub mod payment;
pub mod payment_installment;
pub mod payout;
pub mod payout_item;
pub mod refund;
pub mod sandbox_order;
