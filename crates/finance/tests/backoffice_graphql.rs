//! The back-office fields of the `finance` namespace through GraphQL: the catalogue edit,
//! who may call what, and the shape of the answers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use async_graphql::{EmptySubscription, Request, Response, Schema, Value};
use serde_json::json;
use support::Fixture;
use wspolnota_core::{AccountId, Ctx};
use wspolnota_finance::{FinanceMutationRoot, FinanceQueryRoot};

type FinanceSchema = Schema<FinanceQueryRoot, FinanceMutationRoot, EmptySubscription>;

fn schema(f: &Fixture) -> FinanceSchema {
    Schema::build(FinanceQueryRoot, FinanceMutationRoot, EmptySubscription)
        .data(f.finance.clone())
        .finish()
}

async fn run(schema: &FinanceSchema, ctx: &Ctx, query: &str) -> Response {
    schema.execute(Request::new(query).data(ctx.clone())).await
}

fn data(res: Response) -> serde_json::Value {
    assert!(res.errors.is_empty(), "{:?}", res.errors);
    res.data.into_json().unwrap()
}

/// `(code, field)` of the first error.
fn error(res: &Response) -> (String, Option<String>) {
    let e = res.errors.first().expect("an error");
    let ext = e.extensions.as_ref().expect("extensions");
    let text = |key: &str| match ext.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    (text("code").unwrap_or_default(), text("field"))
}

const ADD_WASTE_2026: &str = r#"mutation { finance { addFeeKindVersion(input: {
    code: "waste_fee", name: "Opłata za gospodarowanie odpadami (uchwała 2025)",
    validFrom: "2026-01-01",
    classification: { dzial: "900", rozdzial: "90002", paragraf: "0490" },
    receivableAccount: "221-06", revenueAccount: "720-06", interest: TAX,
    wholeZloty: false, virtualAccount: true,
    schedule: "{\"kind\":\"monthly\",\"day\":20}" }) { code validFrom validTo schedule } } }"#;

#[tokio::test]
async fn catalogue_versions_are_added_by_the_tenant_admin() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let s = schema(&f);
    let admin = f.admin();

    let added = data(run(&s, &admin, ADD_WASTE_2026).await);
    let added = &added["finance"]["addFeeKindVersion"];
    assert_eq!(
        (&added["code"], &added["validFrom"], &added["validTo"]),
        (
            &json!("waste_fee"),
            &json!("2026-01-01"),
            &serde_json::Value::Null
        )
    );
    let schedule: serde_json::Value =
        serde_json::from_str(added["schedule"].as_str().unwrap()).unwrap();
    assert_eq!(
        (&schedule["kind"], &schedule["day"]),
        (&json!("monthly"), &json!(20))
    );

    // The previous version is closed the day before; anyone in the tenant may read.
    let resident = f.resident(AccountId::new());
    let q = |on: &str| {
        format!(
            r#"{{ finance {{ catalogue(on: "{on}") {{ code name validFrom validTo interest wholeZloty
                virtualAccount schedule receivableAccount revenueAccount
                classification {{ dzial rozdzial paragraf }} }} }} }}"#
        )
    };
    let old = data(run(&s, &resident, &q("2025-06-01")).await);
    let kinds = old["finance"]["catalogue"].as_array().unwrap();
    assert_eq!(kinds.len(), 7);
    let waste = kinds.iter().find(|k| k["code"] == "waste_fee").unwrap();
    assert_eq!(waste["validFrom"], "2020-01-01");
    assert_eq!(waste["validTo"], "2025-12-31");
    assert_eq!(waste["interest"], "TAX");
    assert_eq!(
        waste["classification"],
        json!({ "dzial": "900", "rozdzial": "90002", "paragraf": "0490" })
    );
    let schedule: serde_json::Value =
        serde_json::from_str(waste["schedule"].as_str().unwrap()).unwrap();
    assert_eq!(schedule["kind"], "monthly");
    assert_eq!(schedule["day"], 15);
    let usufruct = kinds
        .iter()
        .find(|k| k["code"] == "perpetual_usufruct")
        .unwrap();
    assert_eq!(usufruct["interest"], "CIVIL");
    assert_eq!(usufruct["wholeZloty"], false);

    let new = data(run(&s, &resident, &q("2026-02-01")).await);
    let waste = new["finance"]["catalogue"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["code"] == "waste_fee")
        .unwrap()
        .clone();
    assert_eq!(waste["validFrom"], "2026-01-01");
    assert_eq!(waste["validTo"], serde_json::Value::Null);
    let all = data(
        run(
            &s,
            &resident,
            "{ finance { catalogue { code validFrom } } }",
        )
        .await,
    );
    let versions = all["finance"]["catalogue"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["code"] == "waste_fee")
        .count();
    assert_eq!(versions, 2);

    // Errors name the field; the same start again is a conflict; only the admin may add.
    let res = run(&s, &admin, ADD_WASTE_2026).await;
    assert_eq!(error(&res).0, "CONFLICT");
    let bad = ADD_WASTE_2026
        .replace("rozdzial: \"90002\"", "rozdzial: \"91002\"")
        .replace("2026-01-01", "2027-01-01");
    assert_eq!(
        error(&run(&s, &admin, &bad).await),
        ("VALIDATION".into(), Some("classification.rozdzial".into()))
    );
    let bad = ADD_WASTE_2026
        .replace("221-06", "999")
        .replace("2026-01-01", "2027-01-01");
    assert_eq!(
        error(&run(&s, &admin, &bad).await),
        ("VALIDATION".into(), Some("receivableAccount".into()))
    );
    let bad = ADD_WASTE_2026
        .replace(r#"\"day\":20"#, r#"\"dzien\":20"#)
        .replace("2026-01-01", "2027-01-01");
    assert_eq!(
        error(&run(&s, &admin, &bad).await),
        ("VALIDATION".into(), Some("schedule".into()))
    );
    // Overlapping the closed 2020 version and the open-ended 2026 one.
    let bad = ADD_WASTE_2026
        .replace("validFrom: \"2026-01-01\"", "validFrom: \"2025-07-01\"")
        .replace(
            "wholeZloty: false",
            "validTo: \"2026-06-30\", wholeZloty: false",
        );
    assert_eq!(
        error(&run(&s, &admin, &bad).await),
        ("VALIDATION".into(), Some("validFrom".into()))
    );
    let res = run(
        &s,
        &f.clerk(),
        &ADD_WASTE_2026.replace("2026-01-01", "2027-01-01"),
    )
    .await;
    assert_eq!(error(&res).0, "FORBIDDEN");
}

#[tokio::test]
async fn a_resident_is_refused_every_back_office_field() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let s = schema(&f);
    let resident = f.resident(AccountId::new());
    let id = uuid::Uuid::now_v7();
    let fields = [
        "{ finance { arrears(asOf: \"2025-05-20\") { total { parties } } } }".to_owned(),
        "{ finance { journalExport(from: \"2025-01-01\", to: \"2025-12-31\", format: CSV) { content } } }"
            .to_owned(),
        "mutation { finance { importAssessments(csv: \"party_number;kind;year;title;amount\") { imported } } }"
            .to_owned(),
        format!(
            "mutation {{ finance {{ correctEntry(entryId: \"{id}\", reason: \"x\") {{ reversalId }} }} }}"
        ),
        ADD_WASTE_2026.to_owned(),
    ];
    for q in &fields {
        let res = run(&s, &resident, q).await;
        assert_eq!(error(&res).0, "FORBIDDEN", "{q}");
    }
}

#[tokio::test]
async fn clerk_fields_answer_in_shape() {
    let f = Fixture::new("zamosc", "2025-01-10").await;
    let s = schema(&f);
    let clerk = f.clerk();
    let res = run(
        &s,
        &clerk,
        r#"{ finance { arrears(limit: 10) { total { parties overdue }
            items { party { id number name } overdue interest oldestDueDate } } } }"#,
    )
    .await;
    assert_eq!(
        data(res)["finance"]["arrears"],
        json!({ "total": { "parties": 0, "overdue": "0.00" }, "items": [] })
    );
    let res = run(
        &s,
        &clerk,
        "{ finance { arrears(limit: 501) { items { overdue } } } }",
    )
    .await;
    assert_eq!(error(&res), ("VALIDATION".into(), Some("limit".into())));
    let res = run(
        &s,
        &clerk,
        "{ finance { arrears(offset: -1) { items { overdue } } } }",
    )
    .await;
    assert_eq!(error(&res), ("VALIDATION".into(), Some("offset".into())));

    let res = run(
        &s,
        &clerk,
        r#"mutation { finance { importAssessments(csv: "party_number;kind;year;title;amount\n7;x;2025;t;1\n") {
            imported skipped errors { line field message } } } }"#,
    )
    .await;
    let out = data(res)["finance"]["importAssessments"].clone();
    assert_eq!(out["imported"], 0);
    assert_eq!(out["errors"][0]["line"], 2);
    assert_eq!(out["errors"][0]["field"], "party_number");

    let res = run(
        &s,
        &clerk,
        r#"{ finance { journalExport(from: "2025-01-01", to: "2025-01-31") {
            content lines entries debitTotal creditTotal } } }"#,
    )
    .await;
    let out = data(res)["finance"]["journalExport"].clone();
    assert_eq!(out["lines"], 0);
    assert_eq!(out["debitTotal"], "0.00");
    assert!(out["content"].as_str().unwrap().contains("<KodFormularza"));

    let res = run(
        &s,
        &clerk,
        r#"mutation { finance { correctEntry(entryId: "nope", reason: "x") { reversalId } } }"#,
    )
    .await;
    assert_eq!(error(&res), ("VALIDATION".into(), Some("entryId".into())));
}
