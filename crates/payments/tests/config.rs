#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use wspolnota_payments::GatewayKind;
use wspolnota_payments::config::{
    FieldError, GatewayMode, GatewaySettings, PaymentsConfig, parse_kind,
};

const FULL: &str = r#"
default = "payu"

[[gateways]]
kind = "sandbox"
mode = "sandbox"

[[gateways]]
kind = "payu"
mode = "sandbox"
base_url = "https://secure.snd.payu.com"
pos_id = "300746"
client_id = "300746"
client_secret_env = "ZAMOSC_PAYU_CLIENT_SECRET"
second_key_env = "ZAMOSC_PAYU_SECOND_KEY"

[[gateways]]
kind = "przelewy24"
mode = "live"
base_url = "https://secure.przelewy24.pl"
merchant_id = 123456
pos_id = 123457
api_key_env = "ZAMOSC_P24_API_KEY"
crc_env = "ZAMOSC_P24_CRC"

[[gateways]]
kind = "paypal"
mode = "sandbox"
base_url = "http://127.0.0.1:8080"
client_id = "AXyClientId"
client_secret_env = "ZAMOSC_PAYPAL_CLIENT_SECRET"
webhook_id = "8PT597110X687430LKGECATA"

[[gateways]]
kind = "paybynet"
mode = "live"
form_url = "https://pbn.paybynet.com.pl/PayByNet/trans.do"
status_url = "https://pbn.paybynet.com.pl/axis/services/PBNTransactionsGetStatus"
merchant_id = "922-269-74-72"
key_env = "ZAMOSC_PAYBYNET_KEY"
account = "56 1020 5356 0000 1602 0007 6877"
payee = { name = "Urząd Miasta Zamość", postcode = "22-400", city = "Zamość", street = "Rynek Wielki 13" }

[[gateways]]
kind = "transfer"
mode = "live"
recipient_name = "Urząd Miasta Zamość"
recipient_nip = "922-269-74-72"
"#;

const SECRETS: [(&str, &str); 6] = [
    ("ZAMOSC_PAYU_CLIENT_SECRET", "payu-client-secret-VALUE"),
    ("ZAMOSC_PAYU_SECOND_KEY", "payu-second-key-VALUE"),
    ("ZAMOSC_P24_API_KEY", "p24-api-key-VALUE"),
    ("ZAMOSC_P24_CRC", "p24-crc-VALUE"),
    ("ZAMOSC_PAYPAL_CLIENT_SECRET", "paypal-secret-VALUE"),
    ("ZAMOSC_PAYBYNET_KEY", "paybynet-key-VALUE"),
];

/// Every kind, in the order FULL lists them.
const ALL_KINDS: [GatewayKind; 6] = [
    GatewayKind::Sandbox,
    GatewayKind::PayU,
    GatewayKind::Przelewy24,
    GatewayKind::PayPal,
    GatewayKind::Paybynet,
    GatewayKind::Transfer,
];

/// The kinds a tenant configuration resolves to an adapter (all but the platform's sandbox).
const RESOLVABLE: [GatewayKind; 5] = [
    GatewayKind::PayU,
    GatewayKind::Przelewy24,
    GatewayKind::PayPal,
    GatewayKind::Paybynet,
    GatewayKind::Transfer,
];

fn table(src: &str) -> toml::Table {
    src.parse::<toml::Table>().unwrap()
}

fn full() -> PaymentsConfig {
    PaymentsConfig::from_table(&table(FULL)).unwrap()
}

fn fake_env() -> HashMap<String, String> {
    SECRETS
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Replaces the first occurrence of `from` in FULL and parses, expecting an error.
fn error_with(from: &str, to: &str) -> FieldError {
    assert!(FULL.contains(from), "fixture lacks {from:?}");
    let src = FULL.replacen(from, to, 1);
    PaymentsConfig::from_table(&table(&src)).expect_err(&format!("{from:?} -> {to:?} accepted"))
}

fn assert_no_secret(text: &str) {
    for (_, value) in SECRETS {
        assert!(!text.contains(value), "secret value leaked: {text}");
    }
}

#[test]
fn full_table_parses() {
    let cfg = full();
    assert_eq!(cfg.default, Some(GatewayKind::PayU));
    let kinds: Vec<_> = cfg.gateways.iter().map(|g| g.kind()).collect();
    assert_eq!(kinds, ALL_KINDS);
    let (i, p24) = cfg.entry(GatewayKind::Przelewy24).unwrap();
    assert_eq!(i, 2);
    assert_eq!(p24.mode, GatewayMode::Live);
    match &p24.settings {
        GatewaySettings::Przelewy24(s) => {
            assert_eq!(s.merchant_id, 123456);
            assert_eq!(s.pos_id, 123457);
            assert_eq!(s.crc_env, "ZAMOSC_P24_CRC");
        }
        other => panic!("unexpected {other:?}"),
    }
    match &cfg.entry(GatewayKind::Paybynet).unwrap().1.settings {
        GatewaySettings::Paybynet(s) => {
            assert_eq!(s.payee.city, "Zamość");
            assert_eq!(s.payee.country, "Polska");
            assert_eq!(s.valid_for_hours, 24);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn empty_table_is_no_gateways() {
    let cfg = PaymentsConfig::from_table(&toml::Table::new()).unwrap();
    assert_eq!(cfg, PaymentsConfig::default());
}

#[test]
fn parse_kind_round_trips() {
    for k in ALL_KINDS {
        assert_eq!(parse_kind(k.as_str()), Some(k));
    }
    assert_eq!(parse_kind("PayU"), None);
}

#[test]
fn validation_errors_name_their_field() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "default = \"payu\"",
            "default = \"stripe\"",
            "payments.default",
        ),
        (
            "default = \"payu\"",
            "default = \"blik\"",
            "payments.default",
        ),
        (
            "default = \"payu\"",
            "fallback = \"payu\"",
            "payments.fallback",
        ),
        (
            "kind = \"payu\"",
            "kind = \"stripe\"",
            "payments.gateways[1].kind",
        ),
        (
            "kind = \"transfer\"",
            "kind = \"payu\"",
            "payments.gateways[5].kind",
        ),
        (
            "kind = \"sandbox\"\nmode = \"sandbox\"",
            "kind = \"sandbox\"\nmode = \"live\"",
            "payments.gateways[0].mode",
        ),
        (
            "kind = \"sandbox\"\nmode = \"sandbox\"",
            "kind = \"sandbox\"\nmode = \"production\"",
            "payments.gateways[0].mode",
        ),
        (
            "kind = \"sandbox\"\nmode = \"sandbox\"",
            "kind = \"sandbox\"",
            "payments.gateways[0].mode",
        ),
        (
            "kind = \"sandbox\"\nmode = \"sandbox\"",
            "kind = \"sandbox\"\nmode = \"sandbox\"\nbase_url = \"https://x.test\"",
            "payments.gateways[0].base_url",
        ),
        (
            "pos_id = \"300746\"",
            "pos_id = \"300746\"\nsecret = \"abc\"",
            "payments.gateways[1].secret",
        ),
        (
            "pos_id = \"300746\"",
            "pos_idx = \"300746\"",
            "payments.gateways[1].pos_idx",
        ),
        (
            "pos_id = \"300746\"",
            "pos_id = \" \"",
            "payments.gateways[1].pos_id",
        ),
        (
            "second_key_env = \"ZAMOSC_PAYU_SECOND_KEY\"",
            "",
            "payments.gateways[1].second_key_env",
        ),
        (
            "client_secret_env = \"ZAMOSC_PAYU_CLIENT_SECRET\"",
            "client_secret_env = \"s3cr3t-value\"",
            "payments.gateways[1].client_secret_env",
        ),
        (
            "client_secret_env = \"ZAMOSC_PAYU_CLIENT_SECRET\"",
            "client_secret_env = \"zamosc_payu\"",
            "payments.gateways[1].client_secret_env",
        ),
        (
            "client_secret_env = \"ZAMOSC_PAYU_CLIENT_SECRET\"",
            "client_secret_env = \"1PAYU\"",
            "payments.gateways[1].client_secret_env",
        ),
        (
            "base_url = \"https://secure.snd.payu.com\"",
            "base_url = \"not a url\"",
            "payments.gateways[1].base_url",
        ),
        (
            "base_url = \"https://secure.snd.payu.com\"",
            "base_url = \"ftp://secure.snd.payu.com\"",
            "payments.gateways[1].base_url",
        ),
        // Live mode: https only, and not the provider's sandbox.
        (
            "base_url = \"https://secure.przelewy24.pl\"",
            "base_url = \"http://secure.przelewy24.pl\"",
            "payments.gateways[2].base_url",
        ),
        (
            "base_url = \"https://secure.przelewy24.pl\"",
            "base_url = \"https://sandbox.przelewy24.pl\"",
            "payments.gateways[2].base_url",
        ),
        (
            "merchant_id = 123456",
            "merchant_id = \"123456\"",
            "payments.gateways[2]",
        ),
        (
            "merchant_id = 123456",
            "merchant_id = 0",
            "payments.gateways[2].merchant_id",
        ),
        (
            "pos_id = 123457",
            "pos_id = -1",
            "payments.gateways[2].pos_id",
        ),
        (
            "crc_env = \"ZAMOSC_P24_CRC\"",
            "crc_env = \"ZAMOSC-P24-CRC\"",
            "payments.gateways[2].crc_env",
        ),
        (
            "webhook_id = \"8PT597110X687430LKGECATA\"",
            "webhook_id = \"\"",
            "payments.gateways[3].webhook_id",
        ),
        (
            "form_url = \"https://pbn.paybynet.com.pl/PayByNet/trans.do\"",
            "form_url = \"http://pbn.paybynet.com.pl/PayByNet/trans.do\"",
            "payments.gateways[4].form_url",
        ),
        (
            "form_url = \"https://pbn.paybynet.com.pl/PayByNet/trans.do\"",
            "form_url = \"https://pbn.paybynet.com.pl/PayByNetT/trans.do\"",
            "payments.gateways[4].form_url",
        ),
        (
            "status_url = \"https://pbn.paybynet.com.pl/axis/services/PBNTransactionsGetStatus\"",
            "status_url = \"http://pbn.paybynet.com.pl/axis/services/PBNTransactionsGetStatus\"",
            "payments.gateways[4].status_url",
        ),
        (
            "merchant_id = \"922-269-74-72\"",
            "merchant_id = \"922-269-74-73\"",
            "payments.gateways[4].merchant_id",
        ),
        (
            "account = \"56 1020 5356 0000 1602 0007 6877\"",
            "account = \"57 1020 5356 0000 1602 0007 6877\"",
            "payments.gateways[4].account",
        ),
        (
            "key_env = \"ZAMOSC_PAYBYNET_KEY\"",
            "key_env = \"\"",
            "payments.gateways[4].key_env",
        ),
        ("city = \"Zamość\", ", "", "payments.gateways[4].payee.city"),
        (
            "street = \"Rynek Wielki 13\" }",
            "street = \"Rynek Wielki 13\", iban = \"x\" }",
            "payments.gateways[4].payee.iban",
        ),
        (
            "key_env = \"ZAMOSC_PAYBYNET_KEY\"",
            "key_env = \"ZAMOSC_PAYBYNET_KEY\"\nvalid_for_hours = 0",
            "payments.gateways[4].valid_for_hours",
        ),
        (
            "recipient_name = \"Urząd Miasta Zamość\"",
            "recipient_name = \"\"",
            "payments.gateways[5].recipient_name",
        ),
        (
            "recipient_nip = \"922-269-74-72\"",
            "recipient_nip = \"1234567890\"",
            "payments.gateways[5].recipient_nip",
        ),
    ];
    for (from, to, field) in cases {
        let e = error_with(from, to);
        assert_eq!(&e.field, field, "{from:?} -> {to:?}: {e}");
        assert!(!e.message.is_empty());
    }
}

#[test]
fn a_secret_pasted_as_a_variable_name_is_not_echoed() {
    let e = error_with(
        "client_secret_env = \"ZAMOSC_PAYU_CLIENT_SECRET\"",
        "client_secret_env = \"payu-client-secret-VALUE\"",
    );
    assert_eq!(e.field, "payments.gateways[1].client_secret_env");
    assert_no_secret(&e.to_string());
    assert_no_secret(&format!("{e:?}"));
}

#[test]
fn default_must_be_configured() {
    let e = PaymentsConfig::from_table(&table(
        "default = \"paypal\"\n[[gateways]]\nkind = \"sandbox\"\nmode = \"sandbox\"\n",
    ))
    .unwrap_err();
    assert_eq!(e.field, "payments.default");
    assert!(e.message.contains("not configured"), "{e}");
}

#[test]
fn gateway_without_kind_is_refused() {
    let e = PaymentsConfig::from_table(&table("[[gateways]]\nmode = \"sandbox\"\n")).unwrap_err();
    assert_eq!(e.field, "payments.gateways[0].kind");
}

#[test]
fn http_is_allowed_in_sandbox_mode() {
    // The fixture's PayPal entry points at a local test server over http.
    let cfg = full();
    let (_, paypal) = cfg.entry(GatewayKind::PayPal).unwrap();
    assert_eq!(paypal.mode, GatewayMode::Sandbox);
}

#[test]
fn resolve_builds_each_adapter() {
    let cfg = full();
    let vars = fake_env();
    let env = |k: &str| vars.get(k).cloned();
    for kind in RESOLVABLE {
        let gateway = cfg
            .resolve(kind, &env)
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(gateway.kind(), kind);
    }
}

#[test]
fn resolve_sandbox_is_the_platforms() {
    let cfg = full();
    let e = cfg.resolve(GatewayKind::Sandbox, &|_| None).err().unwrap();
    assert_eq!(e.field, "payments.gateways[0].kind");
    assert!(e.message.contains("platform"), "{e}");
}

#[test]
fn resolve_unconfigured_kind_fails() {
    let cfg = PaymentsConfig::from_table(&table(
        "[[gateways]]\nkind = \"transfer\"\nmode = \"live\"\nrecipient_name = \"Gmina\"\n",
    ))
    .unwrap();
    let e = cfg.resolve(GatewayKind::PayU, &|_| None).err().unwrap();
    assert_eq!(e.field, "payments.gateways");
    assert!(e.message.contains("payu"), "{e}");
    // Transfer needs no secrets.
    let t = cfg.resolve(GatewayKind::Transfer, &|_| None).unwrap();
    assert_eq!(t.kind(), GatewayKind::Transfer);
}

#[test]
fn missing_secret_names_the_variable() {
    let cfg = full();
    let cases = [
        (
            GatewayKind::PayU,
            "ZAMOSC_PAYU_SECOND_KEY",
            "payments.gateways[1].second_key_env",
        ),
        (
            GatewayKind::Przelewy24,
            "ZAMOSC_P24_API_KEY",
            "payments.gateways[2].api_key_env",
        ),
        (
            GatewayKind::Przelewy24,
            "ZAMOSC_P24_CRC",
            "payments.gateways[2].crc_env",
        ),
        (
            GatewayKind::PayPal,
            "ZAMOSC_PAYPAL_CLIENT_SECRET",
            "payments.gateways[3].client_secret_env",
        ),
        (
            GatewayKind::Paybynet,
            "ZAMOSC_PAYBYNET_KEY",
            "payments.gateways[4].key_env",
        ),
    ];
    for (kind, missing, field) in cases {
        let mut vars = fake_env();
        vars.remove(missing);
        let env = |k: &str| vars.get(k).cloned();
        let e = cfg.resolve(kind, &env).err().unwrap();
        assert_eq!(e.field, field);
        assert!(e.message.contains(missing), "{e}");
        assert!(e.message.contains("not set"), "{e}");
        assert_no_secret(&e.to_string());
        assert_no_secret(&format!("{e:?}"));

        // An empty variable counts as missing.
        vars.insert(missing.to_owned(), String::new());
        let env = |k: &str| vars.get(k).cloned();
        let e = cfg.resolve(kind, &env).err().unwrap();
        assert_eq!(e.field, field);
        assert!(e.message.contains(missing), "{e}");
    }
}

#[test]
fn secrets_never_appear_in_debug_or_errors() {
    let cfg = full();
    assert_no_secret(&format!("{cfg:?}"));
    let vars = fake_env();
    let env = |k: &str| vars.get(k).cloned();
    for kind in RESOLVABLE {
        let gateway = cfg.resolve(kind, &env).unwrap();
        assert_no_secret(&format!("{:?}", cfg.entry(kind).unwrap().1));
        assert_no_secret(&cfg.credential_id(gateway.kind()));
    }
}

#[test]
fn credential_ids_are_stable_and_public() {
    let cfg = full();
    for (kind, expected) in [
        (GatewayKind::Sandbox, "sandbox:sandbox"),
        (GatewayKind::PayU, "payu:sandbox:pos=300746"),
        (
            GatewayKind::Przelewy24,
            "przelewy24:live:merchant=123456:pos=123457",
        ),
        (GatewayKind::PayPal, "paypal:sandbox:client=AXyClientId"),
        (GatewayKind::Paybynet, "paybynet:live:merchant=9222697472"),
        (GatewayKind::Transfer, "transfer:live:nip=9222697472"),
    ] {
        assert_eq!(cfg.credential_id(kind), expected);
    }
    let empty = PaymentsConfig::default();
    assert_eq!(empty.credential_id(GatewayKind::PayU), "payu:unconfigured");
}

#[test]
fn payment_lifetimes_default_and_are_validated() {
    let config = full();
    assert_eq!(config.payment_minutes, 30);
    assert_eq!(config.transfer_days, 14);

    let set = PaymentsConfig::from_table(&table(&format!(
        "payment_minutes = 45\ntransfer_days = 7\n{FULL}"
    )))
    .unwrap();
    assert_eq!((set.payment_minutes, set.transfer_days), (45, 7));

    for (key, value) in [
        ("payment_minutes", "0"),
        ("payment_minutes", "-5"),
        ("transfer_days", "\"14\""),
        ("transfer_days", "1000000"),
    ] {
        let err =
            PaymentsConfig::from_table(&table(&format!("{key} = {value}\n{FULL}"))).unwrap_err();
        assert_eq!(err.field, format!("payments.{key}"), "{key} = {value}");
    }
    let err = PaymentsConfig::from_table(&table(&format!("lifetime = 3\n{FULL}"))).unwrap_err();
    assert_eq!(err.field, "payments.lifetime");
}
