//! Bank statements end to end: a finance clerk uploads an MT940 statement (GraphQL multipart
//! over real HTTP) that pays a demo installment through the resident's virtual account,
//! carries the sandbox gateway's payout and one credit nobody can be found for; balances,
//! postings and the unmatched queue come out exactly; a repeated import posts nothing; the
//! clerk resolves the unknown credit and undoes the import. A title quoting a decision's number
//! pays that obligation first. And a CLI import killed halfway leaves nothing, so importing
//! again loses and doubles nothing.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wspolnota_e2e::{PASSWORD, StatusCode, TestApp, grosze, host, resident};

const SLUG: &str = "zamosc";
/// Zamość's account in `tenants/zamosc.toml`.
const ZAMOSC_ACCOUNT: &str = "PL56102053560000160200076877";

pub(crate) fn clerk() -> String {
    format!("skarbnik@{SLUG}.test")
}

fn mt940_amount(grosze: i64) -> String {
    format!("{},{:02}", grosze / 100, grosze % 100)
}

/// The account every credit of [`mt940`] comes from (Jan Kowalski's).
const SENDER_ACCOUNT: &str = "61109010140000071219812874";

/// One transaction of the statement.
pub(crate) struct Tx {
    pub credit: bool,
    pub grosze: i64,
    /// mBank's `ID IPH`: the credited virtual account's client part.
    pub iph: Option<String>,
    pub title: String,
    pub tnr: String,
}

/// An mBank CompanyNet MT940 statement (SOH/ETX framing, free-text `:86:` wrapped at 65
/// characters mid-token) for Zamość's account, dated `yymmdd`.
pub(crate) fn mt940(number: u32, yymmdd: &str, txs: &[Tx]) -> Vec<u8> {
    let mmdd = &yymmdd[2..];
    let mut out = format!(
        "\u{1}\r\n:20:ST{yymmdd}CYC/1\r\n:25:{ZAMOSC_ACCOUNT}\r\n:28C:{number}/1\r\n:60F:C{yymmdd}PLN0,00\r\n"
    );
    let mut balance = 0i64;
    for (i, tx) in txs.iter().enumerate() {
        let mark = if tx.credit { 'C' } else { 'D' };
        balance += if tx.credit { tx.grosze } else { -tx.grosze };
        out.push_str(&format!(
            ":61:{yymmdd}{mmdd}{mark}N{}NTRFNONREF//MB{yymmdd}{i:06}\r\n911-TRANSAKCJA IPH\r\n",
            mt940_amount(tx.grosze)
        ));
        let iph = tx
            .iph
            .as_ref()
            .map(|id| format!("ID IPH: XX{id}; "))
            .unwrap_or_default();
        let info = format!(
            "911 TRANSAKCJA IPH; {iph}OD: JAN KOWALSKI UL. RYNEK 1 ZAMOŚĆ; \
             Z RACH.: {SENDER_ACCOUNT}; TYT.: {}; TNR: {}",
            tx.title, tx.tnr
        );
        let chars: Vec<char> = info.chars().collect();
        for (n, chunk) in chars.chunks(65).enumerate() {
            let text: String = chunk.iter().collect();
            if n == 0 {
                out.push_str(&format!(":86:{text}\r\n"));
            } else {
                out.push_str(&format!("{text}\r\n"));
            }
        }
    }
    let (sign, abs) = if balance >= 0 {
        ('C', balance)
    } else {
        ('D', -balance)
    };
    out.push_str(&format!(
        ":62F:{sign}{yymmdd}PLN{}\r\n:64:{sign}{yymmdd}PLN{}\r\n-\u{3}\r\n",
        mt940_amount(abs),
        mt940_amount(abs)
    ));
    out.into_bytes()
}

const IMPORT: &str = "mutation($file: Upload!) { statements { import(file: $file, format: MT940) {
    id statements lines matched unmatched debits duplicates total } } }";

/// A GraphQL multipart request (the upload spec): `operations`, `map`, the file.
pub(crate) async fn upload(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> Value {
    let boundary = "wspolnota-e2e-boundary-7f3a";
    let operations = json!({ "query": IMPORT, "variables": { "file": null } }).to_string();
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.file\"]}}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let resp = app
        .client()
        .post(app.url("/graphql"))
        .header("host", host(SLUG))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

pub(crate) const ACCOUNT: &str = "query { finance { account { party { id }
    virtualAccounts { kind nrb }
    balance { outstanding interest costs overpayment }
    obligations(status: ALL) { kind reference installments { id status outstanding interest dueDate } } } } }";

pub(crate) fn owed(account: &Value) -> i64 {
    let b = &account["finance"]["account"]["balance"];
    grosze(&b["outstanding"]) + grosze(&b["interest"]) + grosze(&b["costs"])
        - grosze(&b["overpayment"])
}

/// The resident's open installments not yet due (no interest), with their kind.
pub(crate) fn due_later(account: &Value) -> Vec<(String, Value)> {
    account["finance"]["account"]["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| {
            o["installments"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["status"] == "DUE")
                .map(|i| (o["kind"].as_str().unwrap().to_owned(), i.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

pub(crate) fn virtual_account(account: &Value, kind: &str) -> String {
    let nrb = account["finance"]["account"]["virtualAccounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["kind"] == kind)
        .unwrap_or_else(|| panic!("a virtual account for {kind}: {account}"))["nrb"]
        .as_str()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    nrb[10..].to_owned()
}

async fn pay_by_sandbox(app: &TestApp, token: &str) -> i64 {
    let h = host(SLUG);
    let account = app.gql_ok(&h, ACCOUNT, json!({}), Some(token)).await;
    let overdue = account["finance"]["account"]["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["installments"].as_array().unwrap().clone())
        .find(|i| i["status"] == "OVERDUE")
        .unwrap();
    let data = app
        .gql_ok(
            &h,
            "mutation($i: StartPaymentInput!) { payments { start(input: $i) { id amount redirectUrl } } }",
            json!({ "i": { "installmentIds": [overdue["id"]], "gateway": "SANDBOX" } }),
            Some(token),
        )
        .await;
    let p = &data["payments"]["start"];
    let url = p["redirectUrl"].as_str().unwrap();
    let path = &url[url.find("/payments/sandbox/").unwrap()..];
    app.post_raw(
        &h,
        path,
        "application/x-www-form-urlencoded",
        "decision=approve",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = app
            .gql_ok(
                &h,
                "query($id: ID!) { payments { payment(id: $id) { status } } }",
                json!({ "id": p["id"] }),
                Some(token),
            )
            .await;
        if d["payments"]["payment"]["status"] == "SUCCEEDED" {
            return grosze(&p["amount"]);
        }
        assert!(
            Instant::now() < deadline,
            "sandbox payment not settled\n{}",
            app.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn today_yymmdd() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Civil date from days since 1970-01-01 (UTC): Howard Hinnant's algorithm.
    let z = (now / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{:02}{m:02}{d:02}", y % 100)
}

#[tokio::test]
async fn a_statement_pays_installments_settles_a_payout_and_queues_the_unknown() {
    let app = TestApp::spawn().await;
    let h = host(SLUG);
    let resident_token = app.login(&h, &resident(SLUG), PASSWORD).await.access;
    let clerk_token = app.login(&h, &clerk(), PASSWORD).await.access;

    // An online payment first: its money is in transit (141) until the payout arrives.
    let online = pay_by_sandbox(&app, &resident_token).await;
    let payout = app
        .gql_ok(
            &h,
            r#"mutation { payments { sandboxPayout(fee: "1.50") { reference gross fee amount payments } } }"#,
            json!({}),
            Some(&clerk_token),
        )
        .await["payments"]["sandboxPayout"]
        .clone();
    assert_eq!(grosze(&payout["gross"]), online, "{payout}");
    assert_eq!(grosze(&payout["amount"]), online - 150);

    let before = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;
    let (kind, inst) = due_later(&before)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("an installment not yet due: {before}"));
    let paid = grosze(&inst["outstanding"]);
    let iph = virtual_account(&before, &kind);
    let unknown = 12_345;
    let day = today_yymmdd();
    let file = mt940(
        1,
        &day,
        &[
            Tx {
                credit: true,
                grosze: paid,
                iph: Some(iph),
                title: "Podatek od nieruchomości — rata".into(),
                tnr: "100000000000001.000001".into(),
            },
            Tx {
                credit: true,
                grosze: grosze(&payout["amount"]),
                iph: None,
                title: format!("WYPLATA {} BRAMKA", payout["reference"].as_str().unwrap()),
                tnr: "100000000000002.000001".into(),
            },
            Tx {
                credit: true,
                grosze: unknown,
                iph: None,
                title: "Darowizna na schronisko".into(),
                tnr: "100000000000003.000001".into(),
            },
            Tx {
                credit: false,
                grosze: 5_000,
                iph: None,
                title: "Opłata bankowa".into(),
                tnr: "100000000000004.000001".into(),
            },
        ],
    );

    let reconciliation = async || {
        let query = "query { statements { reconciliation(olderThanDays: 0) {
            ledgerBank unmatchedCount unmatchedTotal inTransit { paymentId } unsettledPayouts { reference }
            accounts { account statementClosing credits debits } } } }";
        app.gql_ok(&h, query, json!({}), Some(&clerk_token)).await["statements"]["reconciliation"]
            .clone()
    };
    // The demo's cash-desk and bank payments are on the ledger already.
    let bank_before = grosze(&reconciliation().await["ledgerBank"]);

    let body = upload(&app, &clerk_token, "wyciag-1.sta", &file).await;
    let summary = body["data"]["statements"]["import"].clone();
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(summary["statements"], 1);
    assert_eq!(summary["lines"], 4, "{summary}");
    assert_eq!(summary["matched"], 2, "{summary}");
    assert_eq!(summary["unmatched"], 1, "{summary}");
    assert_eq!(summary["debits"], 1, "{summary}");
    assert_eq!(summary["duplicates"], 0);
    assert_eq!(
        grosze(&summary["total"]),
        paid + grosze(&payout["amount"]) + unknown
    );

    // The resident owes exactly the installment less; it is paid.
    let after = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;
    assert_eq!(
        owed(&before) - owed(&after),
        paid,
        "before {before}\nafter {after}"
    );
    let now_paid = after["finance"]["account"]["obligations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["installments"].as_array().unwrap().clone())
        .find(|i| i["id"] == inst["id"])
        .unwrap();
    assert_eq!(now_paid["status"], "PAID", "{now_paid}");

    // Each line as it was matched; Polish letters intact.
    let import_id = summary["id"].as_str().unwrap().to_owned();
    let entries = app
        .gql_ok(
            &h,
            "query($id: ID!) { statements { import(id: $id) { entries { status matchedBy partyId title amount credit } } } }",
            json!({ "id": import_id }),
            Some(&clerk_token),
        )
        .await["statements"]["import"]["entries"]
        .clone();
    let party_id = before["finance"]["account"]["party"]["id"].clone();
    let statuses: Vec<(Value, Value)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["status"].clone(), e["matchedBy"].clone()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            (json!("posted"), json!("virtual_account")),
            (json!("payout"), json!("payout")),
            (json!("unmatched"), Value::Null),
            (json!("debit"), Value::Null),
        ],
        "{entries}"
    );
    assert_eq!(entries[0]["partyId"], party_id);
    assert_eq!(entries[0]["title"], "Podatek od nieruchomości — rata");

    // The queue and the reconciliation: one unknown credit; the payout settled the money in
    // transit, so nothing waits for a payout.
    let recon = reconciliation().await;
    assert_eq!(recon["unmatchedCount"], 1, "{recon}");
    assert_eq!(grosze(&recon["unmatchedTotal"]), unknown);
    assert_eq!(recon["inTransit"], json!([]), "{recon}");
    assert_eq!(recon["unsettledPayouts"], json!([]), "{recon}");
    assert_eq!(
        grosze(&recon["ledgerBank"]) - bank_before,
        paid + grosze(&payout["amount"]) + unknown,
        "{recon}"
    );
    assert_eq!(
        grosze(&recon["accounts"][0]["statementClosing"]),
        paid + grosze(&payout["amount"]) + unknown - 5_000
    );
    assert_eq!(
        grosze(&recon["accounts"][0]["credits"]),
        paid + grosze(&payout["amount"]) + unknown,
        "{recon}"
    );
    assert_eq!(grosze(&recon["accounts"][0]["debits"]), 5_000, "{recon}");

    // The same file again: every line is a duplicate, nothing moves.
    let again = upload(&app, &clerk_token, "wyciag-1-again.sta", &file).await;
    let again = &again["data"]["statements"]["import"];
    assert_eq!(again["lines"], 0, "{again}");
    assert_eq!(again["duplicates"], 4, "{again}");
    let unchanged = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;
    assert_eq!(owed(&unchanged), owed(&after));

    // The clerk finds the payer of the unknown credit.
    let unmatched = app
        .gql_ok(
            &h,
            "query { statements { unmatched { id amount } } }",
            json!({}),
            Some(&clerk_token),
        )
        .await["statements"]["unmatched"]
        .clone();
    assert_eq!(unmatched.as_array().unwrap().len(), 1, "{unmatched}");
    let resolved = app
        .gql_ok(
            &h,
            "mutation($i: ResolveLineInput!) { statements { resolveLine(input: $i) { status partyId } } }",
            json!({ "i": { "lineId": unmatched[0]["id"], "action": "ASSIGN", "partyId": party_id,
                "reason": "wpłacający potwierdził telefonicznie" } }),
            Some(&clerk_token),
        )
        .await;
    assert_eq!(resolved["statements"]["resolveLine"]["status"], "resolved");
    let assigned = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;
    assert_eq!(owed(&after) - owed(&assigned), unknown);

    // Undo the import: every posting reversed, the payout waits again.
    let undone = app
        .gql_ok(
            &h,
            "mutation($id: ID!) { statements { undoImport(importId: $id, reason: \"zły plik\") { reversedAt } } }",
            json!({ "id": import_id }),
            Some(&clerk_token),
        )
        .await;
    assert!(undone["statements"]["undoImport"]["reversedAt"].is_string());
    let reverted = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;
    assert_eq!(owed(&reverted), owed(&before), "{reverted}");
    let recon = reconciliation().await;
    assert_eq!(recon["unmatchedCount"], 0, "{recon}");
    assert_eq!(grosze(&recon["ledgerBank"]), bank_before, "{recon}");
    assert_eq!(grosze(&recon["accounts"][0]["credits"]), 0, "{recon}");
    assert_eq!(grosze(&recon["accounts"][0]["debits"]), 0, "{recon}");
    assert_eq!(recon["unsettledPayouts"].as_array().unwrap().len(), 1);

    // Undoing released the lines: the same file imported again posts them afresh (new
    // postings, not replays of the reversed ones).
    let again = upload(&app, &clerk_token, "wyciag-1-ponownie.sta", &file).await;
    let again = &again["data"]["statements"]["import"];
    assert_eq!(again["lines"], 4, "{again}");
    assert_eq!(again["duplicates"], 0, "{again}");
    let reposted = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;
    assert_eq!(owed(&reposted), owed(&after), "{reposted}");
    let recon = reconciliation().await;
    assert_eq!(recon["unmatchedCount"], 1, "{recon}");
    assert_eq!(recon["unsettledPayouts"], json!([]), "{recon}");
    assert_eq!(
        grosze(&recon["ledgerBank"]) - bank_before,
        paid + grosze(&payout["amount"]) + unknown,
        "{recon}"
    );
    // The unknown credit is back in the queue, and the clerk's earlier decision on a credit
    // from the same account is suggested (not posted).
    let unmatched = app
        .gql_ok(
            &h,
            "query { statements { unmatched { id counterpartyAccount } } }",
            json!({}),
            Some(&clerk_token),
        )
        .await["statements"]["unmatched"]
        .clone();
    assert_eq!(
        unmatched[0]["counterpartyAccount"], SENDER_ACCOUNT,
        "{unmatched}"
    );
    let suggested = app
        .gql_ok(
            &h,
            "query($l: ID!) { statements { payerSuggestions(lineId: $l) { partyId assignments } } }",
            json!({ "l": unmatched[0]["id"] }),
            Some(&clerk_token),
        )
        .await["statements"]["payerSuggestions"]
        .clone();
    assert_eq!(
        suggested,
        json!([{ "partyId": party_id, "assignments": 1 }])
    );
}

#[tokio::test]
async fn a_title_quoting_a_decisions_number_pays_that_obligation_before_older_arrears() {
    let app = TestApp::spawn().await;
    let h = host(SLUG);
    let resident_token = app.login(&h, &resident(SLUG), PASSWORD).await.access;
    let clerk_token = app.login(&h, &clerk(), PASSWORD).await.access;
    let before = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;
    let obligations = before["finance"]["account"]["obligations"]
        .as_array()
        .unwrap();
    let status_of = |o: &Value, status: &str| {
        o["installments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["status"] == status)
    };
    // The demo resident has arrears on one obligation; the title names another, not yet due.
    let overdue = obligations
        .iter()
        .flat_map(|o| o["installments"].as_array().unwrap().clone())
        .find(|i| i["status"] == "OVERDUE")
        .unwrap_or_else(|| panic!("arrears: {before}"));
    let named = obligations
        .iter()
        .find(|o| status_of(o, "DUE") && !status_of(o, "OVERDUE"))
        .unwrap_or_else(|| panic!("an obligation with nothing overdue: {before}"));
    let reference = named["reference"].as_str().unwrap();
    let inst = named["installments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "DUE")
        .min_by_key(|i| i["dueDate"].as_str().unwrap().to_owned())
        .unwrap()
        .clone();
    let paid = grosze(&inst["outstanding"]);

    let file = mt940(
        1,
        &today_yymmdd(),
        &[Tx {
            credit: true,
            grosze: paid,
            iph: None,
            title: format!("Wpłata wg decyzji nr {}.", reference.to_lowercase()),
            tnr: "200000000000001.000001".into(),
        }],
    );
    let body = upload(&app, &clerk_token, "wyciag-decyzja.sta", &file).await;
    assert!(body.get("errors").is_none(), "{body}");
    let summary = &body["data"]["statements"]["import"];
    assert_eq!(
        (summary["matched"].clone(), summary["unmatched"].clone()),
        (json!(1), json!(0)),
        "{summary}"
    );
    let entries = app
        .gql_ok(
            &h,
            "query($id: ID!) { statements { import(id: $id) { entries { matchedBy partyId } } } }",
            json!({ "id": summary["id"] }),
            Some(&clerk_token),
        )
        .await["statements"]["import"]["entries"]
        .clone();
    assert_eq!(entries[0]["matchedBy"], "decision_number", "{entries}");
    assert_eq!(
        entries[0]["partyId"],
        before["finance"]["account"]["party"]["id"]
    );

    // The named installment is paid; the older arrears are as they were.
    let after = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;
    let find = |id: &Value| {
        after["finance"]["account"]["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|o| o["installments"].as_array().unwrap().clone())
            .find(|i| i["id"] == *id)
            .unwrap()
    };
    assert_eq!(find(&inst["id"])["status"], "PAID", "{after}");
    let still = find(&overdue["id"]);
    assert_eq!(still["status"], "OVERDUE");
    assert_eq!(still["outstanding"], overdue["outstanding"]);
    assert_eq!(
        owed(&before) - owed(&after),
        paid,
        "before {before}\nafter {after}"
    );
}

#[tokio::test]
async fn a_killed_import_leaves_nothing_and_the_next_one_posts_everything_once() {
    let mut app = TestApp::spawn().await;
    let h = host(SLUG);
    let resident_token = app.login(&h, &resident(SLUG), PASSWORD).await.access;
    let account = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;
    let (kind, _) = due_later(&account).into_iter().next().unwrap();
    let iph = virtual_account(&account, &kind);
    let before = owed(&account);

    // A large file (more than the 4 MiB the import reads first to detect the encoding): every
    // tenth credit pays the resident 1 grosz, the rest are unknown.
    const LINES: usize = 20_000;
    let padding = "za gospodarowanie odpadami komunalnymi i podatek od nieruchomości ".repeat(3);
    let txs: Vec<Tx> = (0..LINES)
        .map(|i| Tx {
            credit: true,
            grosze: 1,
            iph: (i % 10 == 0).then(|| iph.clone()),
            title: format!("Wpłata {i} {padding}"),
            tnr: format!("{:015}.000001", 200_000_000 + i),
        })
        .collect();
    let file = mt940(7, &today_yymmdd(), &txs);
    let len = file.len() as u64;
    assert!(len > 6 << 20, "{len} bytes");
    let path = app.scratch_dir().join("duzy-wyciag.sta");
    std::fs::write(&path, &file).unwrap();
    let path = std::fs::canonicalize(&path).unwrap();
    app.stop();

    let import = || {
        let mut cmd = app.command();
        cmd.args(["statements", "import", "--tenant", SLUG])
            .arg(&path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    };
    // Killed while importing: once it has read past the first 4 MiB (lines are being posted
    // chunk by chunk) and before the end of the file (nothing is committed yet).
    let mut child = import().spawn().unwrap();
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import finished before it could be killed: make the file larger"
        );
        if read_position(child.id(), &path).is_some_and(|pos| pos > (9 << 19) && pos < len) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // Again, to the end: every line is new, none is a duplicate.
    let out = import().output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["lines"], LINES, "{summary}");
    assert_eq!(summary["duplicates"], 0, "{summary}");
    assert_eq!(summary["matched"], LINES / 10, "{summary}");
    assert_eq!(summary["unmatched"], LINES - LINES / 10, "{summary}");

    // Once more: all duplicates.
    let out = import().output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["lines"], 0, "{summary}");
    assert_eq!(summary["duplicates"], LINES, "{summary}");

    app.start().await;
    let resident_token = app.login(&h, &resident(SLUG), PASSWORD).await.access;
    let after = app
        .gql_ok(&h, ACCOUNT, json!({}), Some(&resident_token))
        .await;
    assert_eq!(before - owed(&after), (LINES / 10) as i64, "{after}");
}

/// How far process `pid` has read `path` (the position of its descriptor of it), on Linux.
fn read_position(pid: u32, path: &std::path::Path) -> Option<u64> {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    for fd in fds.flatten() {
        if std::fs::read_link(fd.path()).ok().as_deref() != Some(path) {
            continue;
        }
        let info = std::fs::read_to_string(format!(
            "/proc/{pid}/fdinfo/{}",
            fd.file_name().to_string_lossy()
        ))
        .ok()?;
        return info
            .lines()
            .find_map(|l| l.strip_prefix("pos:"))
            .and_then(|p| p.trim().parse().ok());
    }
    None
}

#[tokio::test]
async fn a_title_naming_an_installment_pays_it_before_the_earlier_ones() {
    let app = TestApp::spawn().await;
    let h = host(SLUG);
    let resident_token = app.login(&h, &resident(SLUG), PASSWORD).await.access;
    let clerk_token = app.login(&h, &clerk(), PASSWORD).await.access;
    const PARTY: &str = "query { finance { account { party { id number } } } }";
    let party = app
        .gql_ok(&h, PARTY, json!({}), Some(&resident_token))
        .await["finance"]["account"]["party"]
        .clone();
    // A lease in three installments, none due yet (the demo's own depend on today's date).
    let year = 2001 + today_yymmdd()[..2].parse::<i32>().unwrap();
    let lease = app
        .gql_ok(
            &h,
            "mutation($input: AssessInput!) { finance { assess(input: $input) {
                installments { id number dueDate } } } }",
            json!({ "input": {
                "partyId": party["id"], "kind": "lease", "year": year,
                "title": format!("Czynsz dzierżawny {year}"), "amount": "300.00",
                "installments": [
                    { "dueDate": format!("{year}-03-31"), "amount": "100.00" },
                    { "dueDate": format!("{year}-06-30"), "amount": "100.00" },
                    { "dueDate": format!("{year}-09-30"), "amount": "100.00" },
                ],
            } }),
            Some(&clerk_token),
        )
        .await["finance"]["assess"]["installments"]
        .clone();
    let named = &lease[1];
    assert_eq!(named["number"], 2, "{lease}");

    let file = mt940(
        1,
        &today_yymmdd(),
        &[Tx {
            credit: true,
            grosze: 10_000,
            iph: None,
            title: format!("Należność {} czynsz II rata {year}", party["number"]),
            tnr: "300000000000001.000001".into(),
        }],
    );
    let body = upload(&app, &clerk_token, "wyciag-rata.sta", &file).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["statements"]["import"]["matched"], 1, "{body}");

    // The second installment is paid; the first, due earlier, is untouched.
    const OWED: &str = "query { finance { account {
        obligations(status: ALL) { installments { id status outstanding } } } } }";
    let after = app.gql_ok(&h, OWED, json!({}), Some(&resident_token)).await;
    let status = |id: &Value| {
        let i = after["finance"]["account"]["obligations"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|o| o["installments"].as_array().unwrap().clone())
            .find(|i| i["id"] == *id)
            .unwrap();
        (i["status"].clone(), i["outstanding"].clone())
    };
    assert_eq!(
        status(&named["id"]),
        (json!("PAID"), json!("0.00")),
        "{after}"
    );
    assert_eq!(
        status(&lease[0]["id"]),
        (json!("DUE"), json!("100.00")),
        "{after}"
    );
}
