//! Migrations that make machine keys compare byte by byte
//! ([`super::columns::collate_keys`]): one per e-service owning the tables, each named as if
//! it had a file of its own.

use sea_orm_migration::prelude::*;

use super::columns::collate_keys;

/// `COLLATE "C"` on `keys` (`(table, column, length)`, each a `varchar(length)`).
pub struct KeysBytewise {
    pub name: &'static str,
    pub keys: &'static [(&'static str, &'static str, u32)],
}

impl MigrationName for KeysBytewise {
    fn name(&self) -> &str {
        self.name
    }
}

#[async_trait::async_trait]
impl MigrationTrait for KeysBytewise {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        collate_keys(m, self.keys, true).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        collate_keys(m, self.keys, false).await
    }
}

/// Every posting writes a message.
pub const OUTBOX: KeysBytewise = KeysBytewise {
    name: "m20261128_000003_outbox_key_bytes",
    keys: &[("outbox", "dedupe_key", 200)],
};

/// Every posting writes a payment and a journal entry.
pub const FINANCE: KeysBytewise = KeysBytewise {
    name: "m20261128_000140_finance_keys_bytes",
    keys: &[
        ("finance_payments", "idempotency_key", 200),
        ("ledger_entries", "idempotency_key", 200),
    ],
};

/// Gateway payments and the gateways' notifications.
pub const PAYMENTS: KeysBytewise = KeysBytewise {
    name: "m20261128_000220_payments_keys_bytes",
    keys: &[
        ("pay_payments", "idempotency_key", 200),
        ("pay_inbox", "dedupe_key", 200),
    ],
};

/// Every imported line claims its bank account and dedupe key.
pub const STATEMENTS: KeysBytewise = KeysBytewise {
    name: "m20261128_000320_statement_keys_bytes",
    keys: &[("st_seen", "account", 40), ("st_seen", "dedupe_key", 200)],
};
