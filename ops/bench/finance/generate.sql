-- Bulk data for the finance benchmark: parties with `years` years of obligations, their
-- installments, the assessment and payment journal entries and the payments, written
-- set-based (INSERT … SELECT … FROM generate_series) straight into a tenant schema that the
-- real migrations created, in the shape the services write them (money in grosze, whole
-- złoty for taxes, due dates moved off weekends, one journal entry per assessment and per
-- payment, idempotency keys). Then 1,000 resident accounts, each linked to one party.
--
--   psql -v schema=t_zamosc -v parties=100000 -v first_year=2017 -v years=10 \
--        -v accounts=1000 -v hash="$ARGON2_PHC" -f generate.sql
--
-- Simplifications (none of them read by the measured queries): payments are one per
-- obligation and year (the paid installments of it), late payments carry no interest
-- lines, no allocation rows are written, holidays other than weekends are not skipped.
-- The waste fee has 4 installments a year (Zamość's catalogue says monthly: 12) to keep the
-- database under ~10 GB; the other kinds follow their catalogue schedule.

\set ON_ERROR_STOP on
\timing on
SET synchronous_commit = off;
SET maintenance_work_mem = '512MB';
SET work_mem = '128MB';
SET temp_buffers = '512MB';
SET search_path = :"schema";

-- Deterministic ids: 'bbbb' + a 4-digit table tag + a 24-digit hex number.
CREATE FUNCTION pg_temp.bench_uuid(tag int, n bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ('bbbb' || lpad(to_hex(tag), 4, '0') || lpad(to_hex(n), 24, '0'))::uuid $$;
-- The same number under another tag (the payment of obligation n is pg_temp.retag(o.id, 6)).
CREATE FUNCTION pg_temp.retag(id uuid, tag int) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT ('bbbb' || lpad(to_hex(tag), 4, '0') || substr(replace(id::text, '-', ''), 9))::uuid $$;
-- A deadline on a weekend moves to Monday.
CREATE FUNCTION pg_temp.working_day(d date) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT d + CASE extract(isodow FROM d) WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END $$;

-- Σ digit × weight (check digits of PESEL, NIP, REGON).
CREATE FUNCTION pg_temp.weighted(s text, w int[]) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT coalesce(nullif(substr(s, 1, 1), '')::int * w[1], 0) + coalesce(nullif(substr(s, 2, 1), '')::int * w[2], 0) + coalesce(nullif(substr(s, 3, 1), '')::int * w[3], 0) + coalesce(nullif(substr(s, 4, 1), '')::int * w[4], 0) + coalesce(nullif(substr(s, 5, 1), '')::int * w[5], 0) + coalesce(nullif(substr(s, 6, 1), '')::int * w[6], 0) + coalesce(nullif(substr(s, 7, 1), '')::int * w[7], 0) + coalesce(nullif(substr(s, 8, 1), '')::int * w[8], 0) + coalesce(nullif(substr(s, 9, 1), '')::int * w[9], 0) + coalesce(nullif(substr(s, 10, 1), '')::int * w[10], 0) $$;

CREATE TEMP TABLE bench_params AS
SELECT :parties::bigint AS parties,
       :first_year::int AS first_year,
       :years::int AS years,
       current_date AS today,
       (SELECT coalesce(max(number), 0) FROM finance_parties) AS base;

-- ------------------------------------------------------------- secondary indexes off
-- Built once at the end instead of maintained row by row (primary keys stay).
CREATE TEMP TABLE bench_saved_indexes AS
SELECT t.relname AS tbl,
       ic.relname AS name,
       pg_get_indexdef(i.indexrelid) AS def,
       c.conname,
       CASE WHEN c.oid IS NOT NULL THEN pg_get_constraintdef(c.oid) END AS condef
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = t.oid
WHERE n.nspname = :'schema'
  AND t.relname IN ('finance_parties', 'finance_virtual_accounts', 'finance_obligations',
                    'finance_installments', 'ledger_entries', 'ledger_lines', 'finance_payments')
  AND NOT i.indisprimary;

DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT * FROM bench_saved_indexes LOOP
        IF r.conname IS NULL THEN
            EXECUTE format('DROP INDEX %I', r.name);
        ELSE
            EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', r.tbl, r.conname);
        END IF;
    END LOOP;
END $$;

-- ------------------------------------------------------------- parties
\echo parties
INSERT INTO finance_parties (id, number, kind, name, pesel, pesel_hmac, nip, regon, krs,
                             street, postal_code, city, email, phone, created_at)
SELECT pg_temp.bench_uuid(1, p),
       prm.base + p,
       CASE WHEN org THEN 'organisation' ELSE 'person' END,
       CASE WHEN org
            THEN (ARRAY['Agro-Bud', 'Trans-Pol', 'Eko-Kom', 'Drew-Met', 'Hetman', 'Roztocze',
                        'Zorza', 'Kresy', 'Perła', 'Sokół'])[1 + p % 10]
                 || ' ' || (ARRAY['sp. z o.o.', 'S.A.', 'sp. j.', 'spółdzielnia'])[1 + p / 10 % 4]
                 || ' nr ' || p
            ELSE (CASE WHEN male
                       THEN (ARRAY['Jan', 'Piotr', 'Krzysztof', 'Andrzej', 'Tomasz', 'Paweł', 'Marcin',
                                   'Michał', 'Marek', 'Grzegorz', 'Józef', 'Łukasz', 'Adam'])[1 + p / 2 % 13]
                       ELSE (ARRAY['Anna', 'Maria', 'Katarzyna', 'Małgorzata', 'Agnieszka', 'Barbara',
                                   'Ewa', 'Krystyna', 'Elżbieta', 'Zofia', 'Teresa'])[1 + p / 2 % 11]
                  END)
                 || ' ' ||
                 (CASE WHEN male
                       THEN (ARRAY['Nowak', 'Kowalski', 'Wiśniewski', 'Wójcik', 'Kowalczyk', 'Kamiński',
                                   'Lewandowski', 'Zieliński', 'Szymański', 'Woźniak', 'Dąbrowski',
                                   'Kozłowski', 'Mazur', 'Jankowski', 'Kwiatkowski', 'Krawczyk',
                                   'Skiba', 'Sowa', 'Kępa'])[1 + p / 7 % 19]
                       ELSE (ARRAY['Nowak', 'Kowalska', 'Wiśniewska', 'Wójcik', 'Kowalczyk', 'Kamińska',
                                   'Lewandowska', 'Zielińska', 'Szymańska', 'Woźniak', 'Dąbrowska',
                                   'Kozłowska', 'Mazur', 'Jankowska', 'Kwiatkowska', 'Krawczyk',
                                   'Skiba', 'Sowa', 'Kępa'])[1 + p / 7 % 19]
                  END)
       END,
       CASE WHEN NOT org THEN first10 || pesel_check END,
       CASE WHEN NOT org THEN encode(sha256(convert_to(first10 || pesel_check, 'UTF8')), 'hex') END,
       CASE WHEN org AND nip_check < 10 THEN nip9 || nip_check END,
       CASE WHEN org THEN '06' || lpad((p % 1000000)::text, 6, '0') || regon_check END,
       CASE WHEN org THEN '0000' || lpad((100000 + p)::text, 6, '0') END,
       (ARRAY['ul. Partyzantów', 'ul. Lwowska', 'ul. Szczebrzeska', 'ul. Hrubieszowska',
              'ul. Peowiaków', 'ul. Okrzei', 'ul. Piłsudskiego', 'ul. Królowej Jadwigi',
              'ul. Lubelska', 'ul. Sadowa', 'ul. Orzeszkowej', 'ul. Akademicka'])[1 + p % 12]
           || ' ' || (1 + p % 120) || CASE WHEN p % 3 = 0 THEN '/' || (1 + p % 40) ELSE '' END,
       '22-400',
       'Zamość',
       CASE WHEN p % 4 = 0 THEN 'podatnik' || p || '@zamosc.poczta.test' END,
       CASE WHEN p % 3 = 0 THEN '+48 600 ' || lpad((p % 1000)::text, 3, '0') || ' ' || lpad((p / 1000 % 1000)::text, 3, '0') END,
       timestamptz '2016-12-01 09:00:00+00' + make_interval(days => (p % 30)::int)
FROM bench_params prm,
LATERAL (SELECT g AS p, g % 10 = 0 AS org, g % 2 = 1 AS male FROM generate_series(1, prm.parties) g) s,
LATERAL (SELECT lpad((40 + p % 60)::text, 2, '0') || lpad((1 + p / 60 % 12)::text, 2, '0')
                || lpad((1 + p / 720 % 28)::text, 2, '0') || lpad((p / 20160)::text, 3, '0')
                || ((p % 5) * 2 + CASE WHEN male THEN 1 ELSE 0 END)::text AS first10,
                '922' || lpad((p % 1000000)::text, 6, '0') AS nip9) f,
LATERAL (SELECT (10 - pg_temp.weighted(f.first10, ARRAY[1, 3, 7, 9, 1, 3, 7, 9, 1, 3]) % 10) % 10 AS pesel_check,
                pg_temp.weighted(f.nip9, ARRAY[6, 5, 7, 2, 3, 4, 5, 6, 7]) % 11 AS nip_check,
                pg_temp.weighted('06' || lpad((p % 1000000)::text, 6, '0'), ARRAY[8, 9, 2, 3, 4, 5, 6, 7])
                    % 11 % 10 AS regon_check) c;

-- ------------------------------------------------------------- virtual accounts
-- NRB = check digits + settlement number 10205356 + client part (prefix 66, the kind's
-- position in the catalogue, the party number), as `parties::virtual_nrb` builds it.
\echo virtual accounts
INSERT INTO finance_virtual_accounts (nrb, party_id, kind_code)
SELECT lpad((98 - (bban || '252100')::numeric % 97)::text, 2, '0') || bban, id, code
FROM (SELECT fp.id, k.code,
             '10205356' || '66' || lpad(k.pos::text, 2, '0') || lpad(fp.number::text, 12, '0') AS bban
      FROM finance_parties fp
      CROSS JOIN (VALUES (1, 'property_tax_person'), (2, 'property_tax_organisation'),
                         (3, 'transport_tax'), (6, 'waste_fee')) AS k(pos, code)
      WHERE fp.id >= pg_temp.bench_uuid(1, 0) AND fp.id <= pg_temp.bench_uuid(1, 1000000000)) v;

-- ------------------------------------------------------------- obligations
-- Persons: property tax (decision, 4 installments) and, most of them, the waste fee;
-- organisations: property tax (declaration, monthly); some of both: transport tax.
CREATE TEMP TABLE bench_kinds (k int PRIMARY KEY, code text, receivable text, revenue text,
                               whole boolean, n int, title text);
INSERT INTO bench_kinds VALUES
    (1, 'property_tax_person', '221-01', '720-01', true, 4, 'Podatek od nieruchomości'),
    (2, 'property_tax_organisation', '221-02', '720-02', true, 12, 'Podatek od nieruchomości (DN-1)'),
    (3, 'transport_tax', '221-03', '720-03', true, 2, 'Podatek od środków transportowych'),
    (6, 'waste_fee', '221-06', '720-06', false, 4, 'Opłata za gospodarowanie odpadami komunalnymi');

CREATE TEMP TABLE bench_schedule (k int, number int, month int, day int);
INSERT INTO bench_schedule VALUES
    (1, 1, 3, 15), (1, 2, 5, 15), (1, 3, 9, 15), (1, 4, 11, 15),
    (2, 1, 1, 31), (2, 2, 2, 15), (2, 3, 3, 15), (2, 4, 4, 15), (2, 5, 5, 15), (2, 6, 6, 15),
    (2, 7, 7, 15), (2, 8, 8, 15), (2, 9, 9, 15), (2, 10, 10, 15), (2, 11, 11, 15), (2, 12, 12, 15),
    (3, 1, 2, 15), (3, 2, 9, 15),
    (6, 1, 3, 15), (6, 2, 6, 15), (6, 3, 9, 15), (6, 4, 12, 15);

\echo obligation plan
-- One row per obligation, with its number o (the id's number) and its amount in grosze.
CREATE TEMP TABLE bench_obl AS
SELECT (p * 100 + (y - prm.first_year)) * 8 + k.k AS o, p, y, k.k, k.code,
       CASE k.k
           WHEN 1 THEN round((300 + p * 37 % 900) * (1 + 0.03 * (y - prm.first_year))) * 100
           WHEN 2 THEN round((5000 + p * 131 % 55000) * (1 + 0.03 * (y - prm.first_year))) * 100
           WHEN 3 THEN round((1500 + p * 53 % 2500) * (1 + 0.03 * (y - prm.first_year))) * 100
           ELSE (1 + p % 5) * (2000 + 100 * (y - prm.first_year)) * 12
       END::bigint AS amount,
       k.title || ' ' || y || CASE k.k WHEN 1 THEN ', decyzja FN.3120.' || p || '.' || y ELSE '' END AS title,
       make_date(y, CASE k.k WHEN 1 THEN 2 ELSE 1 END, CASE k.k WHEN 1 THEN 5 ELSE 10 END) AS assessed_on
FROM bench_params prm
CROSS JOIN generate_series(1, prm.parties) p
CROSS JOIN generate_series(prm.first_year, prm.first_year + prm.years - 1) y
JOIN bench_kinds k ON CASE k.k
    WHEN 1 THEN p % 10 <> 0
    WHEN 2 THEN p % 10 = 0
    WHEN 3 THEN p % 20 = 3 OR p % 30 = 0
    ELSE p % 10 <> 0 AND p % 8 <> 7
END
WHERE make_date(y, 1, 10) <= prm.today;

\echo obligations
INSERT INTO finance_obligations (id, party_id, kind_code, year, title, amount, status, created_at)
SELECT pg_temp.bench_uuid(2, o), pg_temp.bench_uuid(1, p), code, y, title, amount, 'active',
       assessed_on::timestamptz + interval '10 hours'
FROM bench_obl ORDER BY o;

-- ------------------------------------------------------------- installments
-- Who pays how (by party number): 85 % on time; 8 % late (10–59 days); 4 % debtors who
-- stopped paying in 2023–2026; 3 % who leave half of each year's last installment unpaid.
-- Nothing due after today is paid.
\echo installments
INSERT INTO finance_installments (id, obligation_id, party_id, number, due_date, amount, outstanding, paid_on)
SELECT pg_temp.bench_uuid(3, o * 16 + number), pg_temp.bench_uuid(2, o), pg_temp.bench_uuid(1, p),
       number, due, amount,
       CASE WHEN paid_on IS NULL THEN CASE WHEN half THEN amount / 2 ELSE amount END ELSE 0 END,
       paid_on
FROM (
    SELECT b.o, b.p, s.number, d.due, a.amount,
           (b.p % 100 >= 97 AND s.number = k.n AND d.due < prm.today) AS half,
           CASE
               WHEN d.due >= prm.today THEN NULL
               WHEN b.p % 100 BETWEEN 93 AND 96 AND b.y >= 2023 + b.p % 4 THEN NULL
               WHEN b.p % 100 >= 97 AND s.number = k.n THEN NULL
               WHEN b.p % 100 BETWEEN 85 AND 92 THEN
                   CASE WHEN d.due + 10 + (b.p % 50)::int <= prm.today THEN d.due + 10 + (b.p % 50)::int END
               ELSE d.due - (b.p % 6)::int
           END AS paid_on
    FROM bench_params prm, bench_obl b
    JOIN bench_kinds k ON k.k = b.k
    JOIN bench_schedule s ON s.k = b.k,
    LATERAL (SELECT pg_temp.working_day(make_date(b.y, s.month, s.day)) AS due) d,
    LATERAL (SELECT CASE WHEN k.whole THEN 100 ELSE 1 END AS unit) u,
    LATERAL (SELECT ((b.amount / u.unit) / k.n
                     + CASE WHEN s.number = 1 THEN (b.amount / u.unit) % k.n ELSE 0 END) * u.unit AS amount) a
) x
ORDER BY o, number;

-- ------------------------------------------------------------- assessments in the journal
\echo assessment entries
INSERT INTO ledger_entries (id, idempotency_key, entry_date, description, reverses, created_at, created_by)
SELECT pg_temp.bench_uuid(4, o), 'assessment:' || pg_temp.bench_uuid(2, o), assessed_on,
       'Przypis: ' || title, NULL, assessed_on::timestamptz + interval '10 hours', NULL
FROM bench_obl ORDER BY o;

\echo assessment lines
INSERT INTO ledger_lines (entry_id, account, party_id, obligation_id, debit, credit)
SELECT pg_temp.bench_uuid(4, b.o), l.account, pg_temp.bench_uuid(1, b.p), pg_temp.bench_uuid(2, b.o),
       CASE WHEN l.debit THEN b.amount ELSE 0 END, CASE WHEN l.debit THEN 0 ELSE b.amount END
FROM bench_obl b
JOIN bench_kinds k ON k.k = b.k
CROSS JOIN LATERAL (VALUES (k.receivable, true), (k.revenue, false)) AS l(account, debit)
ORDER BY b.o, l.debit DESC;

-- ------------------------------------------------------------- payments
\echo payment plan
CREATE TEMP TABLE bench_paid AS
SELECT b.o, b.p, k.receivable, b.title, x.paid, x.paid_on
FROM (SELECT obligation_id, sum(amount - outstanding) AS paid, min(paid_on) AS paid_on
      FROM finance_installments
      WHERE id >= pg_temp.bench_uuid(3, 0)
      GROUP BY obligation_id
      HAVING sum(amount - outstanding) > 0) x
JOIN bench_obl b ON pg_temp.bench_uuid(2, b.o) = x.obligation_id
JOIN bench_kinds k ON k.k = b.k;

-- Partial payers paid their half installment with the rest: the day of the obligation's
-- first payment, or its first due date.
\echo payment plan dates
UPDATE bench_paid bp SET paid_on = (SELECT min(due_date) FROM finance_installments
                                     WHERE obligation_id = pg_temp.bench_uuid(2, bp.o))
WHERE paid_on IS NULL;

\echo payment entries
INSERT INTO ledger_entries (id, idempotency_key, entry_date, description, reverses, created_at, created_by)
SELECT pg_temp.bench_uuid(5, o), 'payment:bench:' || pg_temp.bench_uuid(2, o), paid_on,
       'Wpłata: ' || title, NULL, paid_on::timestamptz + interval '12 hours', NULL
FROM bench_paid ORDER BY o;

\echo payment lines
INSERT INTO ledger_lines (entry_id, account, party_id, obligation_id, debit, credit)
SELECT pg_temp.bench_uuid(5, o), l.account, pg_temp.bench_uuid(1, p),
       CASE WHEN l.debit THEN NULL ELSE pg_temp.bench_uuid(2, o) END,
       CASE WHEN l.debit THEN paid ELSE 0 END, CASE WHEN l.debit THEN 0 ELSE paid END
FROM bench_paid
CROSS JOIN LATERAL (VALUES ('130', true), (receivable, false)) AS l(account, debit)
ORDER BY o, l.debit DESC;

\echo payments
INSERT INTO finance_payments (id, party_id, amount, paid_on, channel, title, idempotency_key,
                              overpayment, entry_id, created_at)
SELECT pg_temp.bench_uuid(6, o), pg_temp.bench_uuid(1, p), paid, paid_on, 'bank', title,
       'bench:' || pg_temp.bench_uuid(2, o), 0, pg_temp.bench_uuid(5, o),
       paid_on::timestamptz + interval '12 hours'
FROM bench_paid ORDER BY o;

-- ------------------------------------------------------------- resident accounts
-- bench-0001@zamosc.test … with the given argon2 hash (run.sh passes the demo accounts' hash
-- of `wspolnota-demo`), each linked to one party spread
-- over the register (every payer habit and kind is among them).
\echo accounts
INSERT INTO platform.accounts (id, tenant, email, display_name, password_hash, verified,
                               pesel_hmac, failed_logins, locked_until, created_at, last_login_at)
SELECT pg_temp.bench_uuid(7, i), 'zamosc', 'bench-' || lpad(i::text, 4, '0') || '@zamosc.test',
       'Mieszkaniec ' || i, :'hash', false, NULL, 0, NULL, now(), NULL
FROM generate_series(1, :accounts) i;

INSERT INTO platform.account_roles (account_id, role, granted_by, granted_at)
SELECT pg_temp.bench_uuid(7, i), 'RESIDENT', NULL, now()
FROM generate_series(1, :accounts) i;

INSERT INTO finance_party_links (account_id, party_id, method, granted_by, granted_at)
SELECT pg_temp.bench_uuid(7, i), pg_temp.bench_uuid(1, 1 + (i * 97) % prm.parties), 'clerk', NULL, now()
FROM bench_params prm, generate_series(1, :accounts) i;

-- ------------------------------------------------------------- indexes back, statistics
\echo indexes
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT * FROM bench_saved_indexes LOOP
        IF r.conname IS NULL THEN
            EXECUTE r.def;
        ELSE
            EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', r.tbl, r.conname, r.condef);
        END IF;
    END LOOP;
END $$;

\echo vacuum analyze
VACUUM (ANALYZE) finance_parties, finance_virtual_accounts, finance_obligations,
    finance_installments, ledger_entries, ledger_lines, finance_payments, finance_party_links;
ANALYZE platform.accounts;
ANALYZE platform.account_roles;
