#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use wspolnota_core::Money;
use wspolnota_core::value::Nrb;
use wspolnota_payments::gateways::transfer::{
    Transfer, TransferConfig, qr_svg, transfer_details, zbp_payload,
};
use wspolnota_payments::{GatewayError, NextAction, PaymentGateway};

fn poznan() -> Nrb {
    Nrb::parse("62 1020 4027 0000 1302 1697 6010").unwrap()
}

fn cfg(name: &str, nip: Option<&str>) -> TransferConfig {
    TransferConfig {
        recipient_name: name.to_owned(),
        recipient_nip: nip.map(str::to_owned),
    }
}

#[test]
fn payload_without_nip_keeps_polish_letters() {
    let p = zbp_payload(
        &poznan(),
        support::money("123.45"),
        "Opłata za odpady 2026/01",
        &cfg("Urząd Miasta Poznań", None),
    )
    .unwrap();
    assert_eq!(
        p,
        "|PL|62102040270000130216976010|012345|Urząd Miasta Poznań|Opłata za odpady 2026/01|||"
    );
}

#[test]
fn payload_with_nip_and_small_amount() {
    let nrb = Nrb::parse("PL93825010262102000000260001").unwrap();
    let p = zbp_payload(
        &nrb,
        Money::parse("9,05").unwrap(),
        "Podatek od nieruchomości rata 2",
        &cfg("Gmina Lipie", Some("209-000-14-40")),
    )
    .unwrap();
    assert_eq!(
        p,
        "2090001440|PL|93825010262102000000260001|000905|Gmina Lipie|Podatek od nieruchomości rata 2|||"
    );
    assert_eq!(p.matches('|').count(), 8);
}

#[test]
fn fields_are_truncated_to_their_lengths() {
    let p = zbp_payload(
        &poznan(),
        Money::from_zloty(1),
        "Opłata za gospodarowanie odpadami komunalnymi 2026",
        &cfg("Urząd Miasta i Gminy Wąchock Długa Nazwa", None),
    )
    .unwrap();
    assert_eq!(
        p,
        "|PL|62102040270000130216976010|000100|Urząd Miasta i Gminy|Opłata za gospodarowanie odpadam|||"
    );
}

#[test]
fn pipes_and_control_characters_are_removed() {
    let p = zbp_payload(
        &poznan(),
        Money::from_grosze(1),
        "Czynsz|lokal 5\n",
        &cfg("Gmina|X", None),
    )
    .unwrap();
    assert_eq!(
        p,
        "|PL|62102040270000130216976010|000001|GminaX|Czynszlokal 5|||"
    );
    assert_eq!(p.matches('|').count(), 8);
}

#[test]
fn boundary_9999_99_has_a_code_10000_has_none() {
    let c = cfg("Gmina Lipie", None);
    let max = Money::parse("9 999,99").unwrap();
    assert_eq!(
        zbp_payload(&poznan(), max, "Raty", &c).unwrap(),
        "|PL|62102040270000130216976010|999999|Gmina Lipie|Raty|||"
    );
    match transfer_details(&poznan(), max, "Raty", &c) {
        NextAction::Transfer { qr_svg, amount, .. } => {
            assert!(qr_svg.is_some());
            assert_eq!(amount, max);
        }
        other => panic!("unexpected {other:?}"),
    }

    let over = Money::from_zloty(10_000);
    assert!(matches!(
        zbp_payload(&poznan(), over, "Raty", &c),
        Err(GatewayError::FlowNotSupported { .. })
    ));
    let t = Transfer::new(c);
    match t.instructions(&poznan(), over, "Raty").unwrap() {
        NextAction::Transfer {
            nrb,
            title,
            amount,
            qr_svg,
        } => {
            assert_eq!(nrb, poznan());
            assert_eq!(title, "Raty");
            assert_eq!(amount, over);
            assert!(qr_svg.is_none(), "no code over 9 999,99 zł");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn svg_is_an_svg_document() {
    let svg = qr_svg("|PL|62102040270000130216976010|012345|Urząd|Tytuł|||").unwrap();
    assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"), "{svg}");
    assert!(svg.contains("<svg"));
    assert!(svg.contains("<path") || svg.contains("<rect"));

    let t = Transfer::new(cfg("Urząd Miasta Poznań", Some("2090001440")));
    let NextAction::Transfer { qr_svg, .. } = t
        .instructions(&poznan(), support::money("123.45"), "Opłata")
        .unwrap()
    else {
        panic!("not a transfer")
    };
    let svg = qr_svg.unwrap();
    assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"));
}

#[test]
fn bad_amounts_and_nip_are_refused() {
    let t = Transfer::new(cfg("Gmina", None));
    assert!(matches!(
        t.instructions(&poznan(), Money::ZERO, "x"),
        Err(GatewayError::Config(_))
    ));
    assert!(matches!(
        t.instructions(&poznan(), Money::from_zloty(-5), "x"),
        Err(GatewayError::Config(_))
    ));
    let bad_nip = Transfer::new(cfg("Gmina", Some("12345")));
    assert!(matches!(
        bad_nip.instructions(&poznan(), Money::from_zloty(5), "x"),
        Err(GatewayError::Config(_))
    ));
}

#[tokio::test]
async fn online_flows_are_not_supported() {
    let http = support::executor();
    let t = Transfer::new(cfg("Gmina", None));
    let req = support::request(
        uuid::Uuid::nil(),
        Money::from_zloty(5),
        "x",
        "https://example.org/r",
        "https://example.org/n",
    );
    assert!(matches!(
        t.create(&http, &req).await,
        Err(GatewayError::FlowNotSupported { .. })
    ));
    assert!(matches!(
        t.verify_notification(&http::HeaderMap::new(), b"{}"),
        Err(GatewayError::FlowNotSupported { .. })
    ));
    assert!(matches!(
        t.query(&http, uuid::Uuid::nil(), "x").await,
        Err(GatewayError::FlowNotSupported { .. })
    ));
    assert!(matches!(
        t.refund(&http, uuid::Uuid::nil(), "x", Money::from_zloty(5), "r")
            .await,
        Err(GatewayError::FlowNotSupported { .. })
    ));
}
