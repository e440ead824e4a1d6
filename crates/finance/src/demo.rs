//! Demo data for `wspolnota serve --demo`: a register of parties with three years of
//! obligations (2024–2026) and payments, made through the real services
//! ([`parties::insert_party`], [`assess::assess_in`], [`payments::record_in`]) in one
//! transaction, so the ledger, the installments and the allocations are exactly what the
//! cash desk would have produced.
//!
//! Deterministic: the same seed gives the same register (names, PESELs, amounts, who pays
//! late). Idempotent: a tenant that already has parties is left alone.
//!
//! What a tenant gets depends on its catalogue. A gmina (it has `property_tax_person`):
//! persons with property tax, most with the waste fee, a few with transport tax or a lease of
//! communal land; organisations with property tax (monthly), some with transport tax or a
//! lease. A powiat (no local taxes): persons and organisations with the perpetual-usufruct fee
//! and leases of State Treasury land. Amounts stay under the statutory maxima of each year
//! (DOMAIN.md §5). Payments are a mix: most on time, some late with interest, some partial,
//! a few debtors who stopped paying, a few who pay the whole year at once, and a few
//! overpayments.
//!
//! Each assessment and payment is made with the clock standing on its own day (a decision in
//! February 2024 is dated February 2024 in the ledger), never after "today" of the caller's
//! clock.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, Set,
};
use uuid::Uuid;
use wspolnota_core::value::{DocumentNumber, Pesel};
use wspolnota_core::{
    AccountId, Actor, AppError, AppResult, Ctx, ManualClock, MemoryKv, Money, RequestId, Services,
    TenantConnector, TenantDb, TenantSlug,
};

use crate::config::FeesConfig;
use crate::domain::interest;
use crate::entity::{installment, party};
use crate::service::Finance;
use crate::service::assess::{self, NewAssessment};
use crate::service::parties::{self, AddressInput, NewParty, PartyKind};
use crate::service::payments::{self, Channel, NewPayment};

/// What seeding did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// Nothing was added: the tenant already had parties.
    pub skipped: bool,
    pub parties: usize,
    pub obligations: usize,
    pub installments: usize,
    pub payments: usize,
    /// The party the resident account was linked to.
    pub resident_party: Option<Uuid>,
}

/// Registers parties with obligations and payments, unless the tenant already has parties.
/// `ctx` is the tenant's system context: its clock says what "today" is. The resident
/// account, when given, is linked (method "clerk") to one party that owes something.
pub async fn seed(
    fin: &Finance,
    ctx: &Ctx,
    resident_account: Option<AccountId>,
    seed: u64,
) -> AppResult<DemoSummary> {
    seed_sized(fin, ctx, resident_account, seed, DemoSize::DEFAULT).await
}

/// How many parties a register gets; the resident's party comes on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSize {
    pub gmina_persons: usize,
    pub gmina_organisations: usize,
    pub powiat_persons: usize,
    pub powiat_organisations: usize,
}

impl DemoSize {
    /// Sized for the start-up of a debug build: every party's three years go through the
    /// services, some 0.1–0.2 s a party there (about 50 ms in a release build), and
    /// `serve --demo` should be ready within ~10 s.
    pub const DEFAULT: Self = Self {
        gmina_persons: 20,
        gmina_organisations: 2,
        powiat_persons: 24,
        powiat_organisations: 6,
    };

    /// `factor` times the default (`scaled(15)`: 300 persons and 30 organisations a gmina).
    pub fn scaled(factor: usize) -> Self {
        let d = Self::DEFAULT;
        Self {
            gmina_persons: d.gmina_persons * factor,
            gmina_organisations: d.gmina_organisations * factor,
            powiat_persons: d.powiat_persons * factor,
            powiat_organisations: d.powiat_organisations * factor,
        }
    }
}

/// [`seed`] with a register of the given size.
pub async fn seed_sized(
    fin: &Finance,
    ctx: &Ctx,
    resident_account: Option<AccountId>,
    seed: u64,
    size: DemoSize,
) -> AppResult<DemoSummary> {
    let tenant = ctx.tenant()?.clone();
    let config = tenant.config();
    let fees = fin.fees(ctx)?;
    let today = ctx.today();
    let tx = TenantDb::begin(ctx).await?;
    if party::Entity::find().count(&*tx).await? > 0 {
        return Ok(DemoSummary {
            skipped: true,
            ..DemoSummary::default()
        });
    }
    let profile = Profile::of(&fees, today);
    let mut rng = Rng::new(seed ^ fnv(config.slug.as_str()));
    let rates = TenantRates::draw(&mut rng);
    let mut seeder = Seeder {
        fin,
        fees,
        dated: Dated::new(ctx),
        rng,
        today,
        place: Place::of(config.slug.as_str(), &config.address),
        rates,
        used_pesels: HashSet::new(),
        used_nips: HashSet::new(),
        summary: DemoSummary::default(),
        seq: 0,
        last_paid: None,
        persons: 0,
        organisations: 0,
    };

    // The resident's party comes first: party number 1, the easiest to find at the desk.
    let resident = seeder.resident_party(&*tx, profile).await?;
    seeder.summary.resident_party = Some(resident);
    if let Some(account) = resident_account {
        parties::link(&*tx, ctx, account, resident, "clerk").await?;
    }
    let (persons, organisations) = match profile {
        Profile::Gmina => (size.gmina_persons, size.gmina_organisations),
        Profile::Powiat => (size.powiat_persons, size.powiat_organisations),
    };
    let total = persons + organisations;
    for i in 0..total {
        // Organisations spread evenly through the register.
        let kind = if (i + 1) * organisations / total > i * organisations / total {
            PartyKind::Organisation
        } else {
            PartyKind::Person
        };
        seeder.ordinary_party(&*tx, profile, kind).await?;
    }
    // The register's payments are history: nobody is told about them now.
    tx.execute_unprepared("UPDATE outbox SET sent_at = CURRENT_TIMESTAMP WHERE sent_at IS NULL")
        .await?;
    tx.commit().await?;
    Ok(seeder.summary)
}

/// The tax years seeded (obligations whose assessment day has not come yet are left out).
pub const YEARS: [i32; 3] = [2024, 2025, 2026];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    /// Local taxes and fees.
    Gmina,
    /// Civil receivables only.
    Powiat,
}

impl Profile {
    fn of(fees: &FeesConfig, today: NaiveDate) -> Self {
        if fees.kind_at(PROPERTY_PERSON, today).is_some() {
            Self::Gmina
        } else {
            Self::Powiat
        }
    }
}

const PROPERTY_PERSON: &str = "property_tax_person";
const PROPERTY_ORGANISATION: &str = "property_tax_organisation";
const TRANSPORT: &str = "transport_tax";
const WASTE: &str = "waste_fee";
const LEASE: &str = "lease";
const USUFRUCT: &str = "perpetual_usufruct";

// ------------------------------------------------------------------ statutory maxima
// DOMAIN.md §5, in grosze, for 2024, 2025 and 2026.

/// Residential buildings, per m² of usable area.
const MAX_RESIDENTIAL: [i64; 3] = [115, 119, 125];
/// Other land (a house's plot), per m².
const MAX_LAND_OTHER: [i64; 3] = [71, 73, 77];
/// Business buildings, per m².
const MAX_BUSINESS_BUILDING: [i64; 3] = [3310, 3400, 3553];
/// Business land, per m².
const MAX_BUSINESS_LAND: [i64; 3] = [134, 138, 145];
/// Transport tax, per vehicle and year (art. 10 ust. 1 upol; 2025/2026 indexed).
const VEHICLES: [(&str, [i64; 3]); 6] = [
    ("samochód ciężarowy 3,5–5,5 t", [117_319, 120_487, 125_909]),
    ("samochód ciężarowy 5,5–9 t", [195_712, 200_997, 210_042]),
    ("samochód ciężarowy 9–12 t", [234_852, 241_194, 252_048]),
    ("ciągnik siodłowy 3,5–12 t", [273_990, 281_388, 294_051]),
    (
        "ciągnik siodłowy z naczepą do 36 t",
        [346_395, 355_748, 371_757],
    ),
    ("przyczepa 7–12 t", [234_852, 241_194, 252_048]),
];

fn year_index(year: i32) -> usize {
    usize::try_from((year - YEARS[0]).clamp(0, 2)).unwrap_or(0)
}

/// The council's rates: a share of each maximum, the same for every year of the demo.
struct TenantRates {
    residential_pct: i64,
    land_pct: i64,
    business_pct: i64,
    transport_pct: i64,
    /// Waste fee per resident and month, in grosze, for 2024–2026.
    waste: [i64; 3],
}

impl TenantRates {
    fn draw(rng: &mut Rng) -> Self {
        let base = rng.range(23, 29) * 100;
        Self {
            residential_pct: rng.range(88, 100),
            land_pct: rng.range(45, 75),
            business_pct: rng.range(85, 99),
            transport_pct: rng.range(60, 85),
            waste: [base, base + 200, base + 400],
        }
    }

    fn rate(max: i64, pct: i64) -> i64 {
        max * pct / 100
    }
}

// ------------------------------------------------------------------ names and places

const MALE: &[&str] = &[
    "Jan",
    "Piotr",
    "Krzysztof",
    "Andrzej",
    "Tomasz",
    "Paweł",
    "Marcin",
    "Michał",
    "Marek",
    "Grzegorz",
    "Józef",
    "Łukasz",
    "Adam",
    "Zbigniew",
    "Jerzy",
    "Tadeusz",
    "Mateusz",
    "Dariusz",
    "Mariusz",
    "Wojciech",
    "Ryszard",
    "Jakub",
    "Henryk",
    "Kazimierz",
    "Jacek",
    "Maciej",
    "Stanisław",
    "Rafał",
    "Janusz",
    "Mirosław",
    "Sławomir",
    "Bogdan",
    "Roman",
    "Wiesław",
    "Kamil",
    "Edward",
    "Mieczysław",
    "Zdzisław",
];

const FEMALE: &[&str] = &[
    "Anna",
    "Maria",
    "Katarzyna",
    "Małgorzata",
    "Agnieszka",
    "Barbara",
    "Ewa",
    "Krystyna",
    "Elżbieta",
    "Zofia",
    "Teresa",
    "Magdalena",
    "Joanna",
    "Janina",
    "Monika",
    "Danuta",
    "Jadwiga",
    "Aleksandra",
    "Halina",
    "Irena",
    "Beata",
    "Marta",
    "Dorota",
    "Jolanta",
    "Grażyna",
    "Iwona",
    "Bożena",
    "Urszula",
    "Renata",
    "Justyna",
    "Stanisława",
    "Helena",
    "Genowefa",
    "Alicja",
    "Wanda",
    "Karolina",
    "Paulina",
    "Sylwia",
];

/// Surnames in their masculine form; adjectival ones (-ski, -cki, -dzki) take -a for women.
const SURNAMES: &[&str] = &[
    "Nowak",
    "Kowalski",
    "Wiśniewski",
    "Wójcik",
    "Kowalczyk",
    "Kamiński",
    "Lewandowski",
    "Zieliński",
    "Szymański",
    "Woźniak",
    "Dąbrowski",
    "Kozłowski",
    "Mazur",
    "Jankowski",
    "Kwiatkowski",
    "Krawczyk",
    "Piotrowski",
    "Grabowski",
    "Nowakowski",
    "Pawłowski",
    "Michalski",
    "Adamczyk",
    "Dudek",
    "Zając",
    "Wieczorek",
    "Jabłoński",
    "Król",
    "Majewski",
    "Olszewski",
    "Jaworski",
    "Wróbel",
    "Malinowski",
    "Pawlak",
    "Witkowski",
    "Stępień",
    "Górski",
    "Rutkowski",
    "Sikora",
    "Ostrowski",
    "Baran",
    "Tomaszewski",
    "Pietrzak",
    "Marciniak",
    "Zalewski",
    "Jakubowski",
    "Zawadzki",
    "Sadowski",
    "Bąk",
    "Chmielewski",
    "Czarnecki",
    "Sawicki",
    "Sokołowski",
    "Maciejewski",
    "Szczepański",
    "Kucharski",
    "Kalinowski",
    "Wysocki",
    "Głowacki",
    "Kołodziej",
    "Krajewski",
    "Skiba",
    "Sowa",
    "Kępa",
    "Bielak",
    "Pietras",
    "Kusiak",
    "Flis",
    "Kozioł",
    "Ćwik",
    "Szponar",
];

const WORDS: &[&str] = &[
    "Roztocze",
    "Jutrzenka",
    "Zorza",
    "Sokół",
    "Hetman",
    "Promyk",
    "Kresy",
    "Wrzos",
    "Perła",
    "Zodiak",
    "Polesie",
    "Arkadia",
    "Pszczółka",
    "Victoria",
    "Orlik",
];

const SYLLABLES: &[&str] = &[
    "Agro", "Bud", "Trans", "Pol", "Met", "Drew", "Rol", "Kom", "Eko", "Lub", "Tech", "Hand",
    "Mar", "Stal", "Plast",
];

const ZAMOSC_STREETS: &[&str] = &[
    "ul. Partyzantów",
    "ul. Lwowska",
    "ul. Szczebrzeska",
    "ul. Hrubieszowska",
    "ul. Peowiaków",
    "ul. Okrzei",
    "ul. Piłsudskiego",
    "ul. Królowej Jadwigi",
    "ul. Lubelska",
    "ul. Sadowa",
    "ul. Orzeszkowej",
    "ul. Akademicka",
    "ul. Staszica",
    "ul. Grecka",
    "ul. Ormiańska",
    "ul. Zamkowa",
    "ul. Sienkiewicza",
    "ul. Kilińskiego",
];

const COMMON_STREETS: &[&str] = &[
    "ul. Polna",
    "ul. Leśna",
    "ul. Ogrodowa",
    "ul. Szkolna",
    "ul. Kościelna",
    "ul. Lipowa",
    "ul. Spokojna",
    "ul. Krótka",
    "ul. Słoneczna",
    "ul. Łąkowa",
    "ul. Kwiatowa",
    "ul. Zielona",
    "ul. Parkowa",
    "ul. Sportowa",
    "ul. Długa",
    "ul. Cicha",
    "ul. Lubelska",
    "ul. Kolejowa",
];

/// Towns of Powiat Lubelski (its parties live there, not in Lublin).
const POWIAT_TOWNS: &[(&str, &str)] = &[
    ("Bełżyce", "24-200"),
    ("Bychawa", "23-100"),
    ("Niemce", "21-025"),
    ("Garbów", "21-080"),
    ("Jastków", "21-002"),
    ("Niedrzwica Duża", "24-220"),
];

/// Where the tenant's parties live, and the first digits of its tax office's NIPs.
struct Place {
    streets: &'static [&'static str],
    towns: Vec<(String, String)>,
    nip_prefix: &'static str,
    email_domain: String,
}

impl Place {
    fn of(slug: &str, office: &wspolnota_core::tenant::Address) -> Self {
        let own = vec![(office.city.clone(), office.postal_code.clone())];
        let (streets, towns, nip_prefix) = match slug {
            "zamosc" => (ZAMOSC_STREETS, own, "922"),
            "powiat-lubelski" => (
                COMMON_STREETS,
                POWIAT_TOWNS
                    .iter()
                    .map(|(c, p)| ((*c).to_owned(), (*p).to_owned()))
                    .collect(),
                "713",
            ),
            "biszcza" => (COMMON_STREETS, own, "918"),
            "baranow" | "kurow" => (COMMON_STREETS, own, "716"),
            _ => (COMMON_STREETS, own, "712"),
        };
        Self {
            streets,
            towns,
            nip_prefix,
            email_domain: format!("{slug}.poczta.test"),
        }
    }
}

// ------------------------------------------------------------------ seeding

/// How a party pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payer {
    /// Each installment on time.
    Punctual,
    /// Often late, and then with the interest.
    Late,
    /// Sometimes only part of an installment.
    Partial,
    /// On time until a day, then nothing.
    Debtor { stops: NaiveDate },
    /// Each obligation's whole year on its first due date; `extra` more at the end.
    Annual { extra: Money },
    /// Everything already due, on time, except one installment.
    AllButOne { unpaid: Uuid },
}

/// An obligation to assess on a day.
#[derive(Debug, Clone)]
struct Spec {
    on: NaiveDate,
    kind: &'static str,
    year: i32,
    title: String,
    amount: Money,
    installments: Option<Vec<(NaiveDate, Money)>>,
}

/// Money for one installment (`None`: not indicated, e.g. an overpayment).
#[derive(Debug, Clone)]
struct Item {
    installment: Option<Uuid>,
    amount: Money,
    label: String,
}

type Plan = BTreeMap<NaiveDate, Vec<Item>>;

struct Seeder<'a> {
    fin: &'a Finance,
    fees: FeesConfig,
    dated: Dated,
    rng: Rng,
    today: NaiveDate,
    place: Place,
    rates: TenantRates,
    used_pesels: HashSet<String>,
    used_nips: HashSet<String>,
    summary: DemoSummary,
    seq: u64,
    /// The day of the last payment recorded.
    last_paid: Option<NaiveDate>,
    /// Ordinary parties registered so far, by kind.
    persons: usize,
    organisations: usize,
}

impl Seeder<'_> {
    /// The party the resident account acts for: a person who owes, with exactly one
    /// installment overdue today (gminas: property tax, the waste fee and transport tax, the
    /// overdue one a property-tax installment; powiat: perpetual usufruct and a lease).
    async fn resident_party<C: ConnectionTrait>(
        &mut self,
        db: &C,
        profile: Profile,
    ) -> AppResult<Uuid> {
        let mut input = self.person(Some("Jan"));
        // Reachable by e-mail, with the consent recorded: the demo shows "payment posted".
        input.email = Some(format!("jan.mieszkaniec@{}", self.place.email_domain));
        let party = self.insert(db, input).await?;
        crate::entity::consent::ActiveModel {
            party_id: Set(party.id),
            channel: Set("email".to_owned()),
            granted: Set(true),
            at: Set(self
                .today
                .and_hms_opt(9, 0, 0)
                .unwrap_or_default()
                .and_utc()),
            source: Set("demo: zgoda złożona w urzędzie".to_owned()),
        }
        .insert(db)
        .await?;
        let mut specs = Vec::new();
        for year in YEARS {
            match profile {
                Profile::Gmina => {
                    specs.push(self.property_person(year, 112, 850, 0));
                    specs.push(self.waste(year, 3));
                    specs.push(self.transport(year, &[0]));
                }
                Profile::Powiat => {
                    specs.push(self.usufruct(year, 18_500_000, 1, "214/3"));
                    specs.push(self.lease(year, 342_000, "działki nr 215/7"));
                }
            }
        }
        specs.retain(|s| s.on <= self.today);
        specs.sort_by_key(|s| s.on);
        let mut assessed = Vec::new();
        for spec in specs {
            let kind = spec.kind;
            let on = spec.on;
            let installments = self.assess(db, party.id, spec).await?;
            assessed.push((kind, on, installments));
        }
        let wanted = match profile {
            Profile::Gmina => Some(PROPERTY_PERSON),
            Profile::Powiat => None,
        };
        let unpaid = assessed
            .iter()
            .filter(|(kind, _, _)| wanted.is_none_or(|w| *kind == w))
            .flat_map(|(_, _, list)| list.iter())
            .filter(|i| i.due_date < self.today)
            .max_by_key(|i| i.due_date)
            .map(|i| i.id)
            .unwrap_or_default();
        let mut plan = Plan::new();
        for (kind, on, installments) in &assessed {
            let payer = Payer::AllButOne { unpaid };
            self.plan_obligation(&mut plan, kind, *on, installments, payer);
        }
        for (day, items) in plan {
            self.pay(db, party.id, day, items, Channel::Bank).await?;
        }
        Ok(party.id)
    }

    /// Anyone else on the register: their obligations and how they paid them.
    async fn ordinary_party<C: ConnectionTrait>(
        &mut self,
        db: &C,
        profile: Profile,
        kind: PartyKind,
    ) -> AppResult<()> {
        let input = match kind {
            PartyKind::Person => self.person(None),
            PartyKind::Organisation => self.organisation(),
        };
        let party = self.insert(db, input).await?;
        self.last_paid = None;
        let n = match kind {
            PartyKind::Person => self.persons,
            PartyKind::Organisation => self.organisations,
        };
        match kind {
            PartyKind::Person => self.persons += 1,
            PartyKind::Organisation => self.organisations += 1,
        }
        let mut specs = self.obligations_of(profile, kind, n);
        specs.retain(|s| s.on <= self.today);
        specs.sort_by_key(|s| s.on);
        let payer = self.payer(self.persons + self.organisations);
        let channel = if self.rng.percent(70) {
            Channel::Bank
        } else {
            Channel::Cash
        };
        // One obligation at a time: assessed, then its payments in the order of their days.
        // (Payments name their installments, so what else was open on the day does not
        // change them; entries carry their own dates whatever the order they are made in.)
        for spec in specs {
            let (kind, on) = (spec.kind, spec.on);
            let installments = self.assess(db, party.id, spec).await?;
            let mut plan = Plan::new();
            self.plan_obligation(&mut plan, kind, on, &installments, payer);
            for (day, items) in plan {
                self.pay(db, party.id, day, items, channel).await?;
            }
        }
        // Paying more than owed, after everything else: a credit balance, or a prepayment of
        // installments not yet due.
        if let (Payer::Annual { extra }, Some(day)) = (payer, self.last_paid)
            && extra.is_positive()
        {
            let item = Item {
                installment: None,
                amount: extra,
                label: "nadpłata".to_owned(),
            };
            self.pay(db, party.id, day, vec![item], channel).await?;
        }
        Ok(())
    }

    async fn insert<C: ConnectionTrait>(
        &mut self,
        db: &C,
        input: NewParty,
    ) -> AppResult<party::Model> {
        // Registered in late 2023, before the first assessment of the demo.
        let registered = day(2023, 11, 2) + Duration::days(self.rng.range(0, 50));
        let ctx = self.dated.at(registered.min(self.today));
        let model = parties::insert_party(self.fin, ctx, db, input).await?;
        self.summary.parties += 1;
        Ok(model)
    }

    async fn assess<C: ConnectionTrait>(
        &mut self,
        db: &C,
        party: Uuid,
        spec: Spec,
    ) -> AppResult<Vec<installment::Model>> {
        let ctx = self.dated.at(spec.on);
        // The decision's number, as the office's register would give it.
        let reference = DocumentNumber::parse(&format!(
            "FN.3120.{}.{}",
            self.summary.obligations + 1,
            spec.year
        ))
        .map_err(|e| AppError::validation("reference", e.to_string()))?;
        let assessed = assess::assess_in(
            self.fin,
            ctx,
            db,
            NewAssessment {
                party_id: party,
                kind: spec.kind.to_owned(),
                year: spec.year,
                title: spec.title,
                reference: Some(reference),
                amount: spec.amount,
                installments: spec.installments,
                key: None,
            },
        )
        .await?;
        self.summary.obligations += 1;
        self.summary.installments += assessed.installments.len();
        Ok(assessed.installments)
    }

    async fn pay<C: ConnectionTrait>(
        &mut self,
        db: &C,
        party: Uuid,
        day: NaiveDate,
        items: Vec<Item>,
        channel: Channel,
    ) -> AppResult<()> {
        let amount: Money = items.iter().map(|i| i.amount).sum();
        if !amount.is_positive() {
            return Ok(());
        }
        let mut labels: Vec<&str> = Vec::new();
        for item in &items {
            if !labels.contains(&item.label.as_str()) {
                labels.push(&item.label);
            }
        }
        let title = if labels.is_empty() {
            "nadpłata".to_owned()
        } else {
            labels.join("; ")
        };
        self.seq += 1;
        let ctx = self.dated.at(day);
        payments::record_in(
            self.fin,
            ctx,
            db,
            NewPayment {
                party_id: party,
                amount,
                paid_on: day,
                title,
                installment_ids: items.iter().filter_map(|i| i.installment).collect(),
                indicated_kind: None,
                indicated_obligation: None,
                named_installments: None,
                channel,
                idempotency_key: format!("demo:{}", self.seq),
            },
        )
        .await?;
        self.summary.payments += 1;
        self.last_paid = Some(day);
        Ok(())
    }

    /// When and how much of each installment of one obligation the payer pays.
    fn plan_obligation(
        &mut self,
        plan: &mut Plan,
        kind: &str,
        assessed_on: NaiveDate,
        installments: &[installment::Model],
        payer: Payer,
    ) {
        let today = self.today;
        let first_due = installments.iter().map(|i| i.due_date).min();
        // Installments paid on time are paid a quarter at a time (a monthly fee in one
        // transfer each quarter), a few days before the first of them is due.
        let mut quarter_days: BTreeMap<(i32, u32), NaiveDate> = BTreeMap::new();
        for inst in installments {
            let quarter = (inst.due_date.year(), inst.due_date.month0() / 3);
            let first = quarter_days.entry(quarter).or_insert(inst.due_date);
            *first = (*first).min(inst.due_date);
        }
        for day in quarter_days.values_mut() {
            *day = (*day - Duration::days(self.rng.range(0, 10))).max(assessed_on);
        }
        for inst in installments {
            let principal = Money::from_grosze(inst.amount);
            let due = inst.due_date;
            let label = format!("{} {} rata {}", kind_label(kind), due.year(), inst.number);
            let quarter = quarter_days
                .get(&(due.year(), due.month0() / 3))
                .copied()
                .unwrap_or(due);
            let on_time = |d: NaiveDate| {
                if d == due {
                    quarter
                } else {
                    d.max(assessed_on)
                }
            };
            let paid = match payer {
                Payer::AllButOne { unpaid } => {
                    (inst.id != unpaid && due < today).then(|| (on_time(due), principal))
                }
                Payer::Punctual => (due <= today).then(|| (on_time(due), principal)),
                Payer::Debtor { stops } => {
                    (due <= today && due < stops).then(|| (on_time(due), principal))
                }
                Payer::Annual { .. } => first_due
                    .filter(|first| *first <= today)
                    .map(|first| (on_time(first), principal)),
                Payer::Partial if due <= today => {
                    let share = if self.rng.percent(30) {
                        self.rng.range(30, 80)
                    } else {
                        100
                    };
                    let part = Money::from_grosze(inst.amount * share / 100);
                    Some((on_time(due), part))
                }
                Payer::Late if due <= today && self.rng.percent(60) => {
                    let late = due + Duration::days(self.rng.range(3, 80));
                    // Not paid yet: it is overdue today.
                    (late <= today)
                        .then(|| (late, principal + self.interest(kind, principal, due, late)))
                }
                Payer::Late if due <= today => Some((on_time(due), principal)),
                Payer::Partial | Payer::Late => None,
            };
            if let Some((day, amount)) = paid.filter(|(_, a)| a.is_positive()) {
                plan.entry(day).or_default().push(Item {
                    installment: Some(inst.id),
                    amount,
                    label,
                });
            }
        }
    }

    /// Late-payment interest as the allocation will compute it (zero if it cannot).
    fn interest(&self, kind: &str, principal: Money, due: NaiveDate, paid_on: NaiveDate) -> Money {
        let Some(k) = self.fees.kind_at(kind, due) else {
            return Money::ZERO;
        };
        interest(&self.fin.rules, k.interest, principal, due, paid_on)
            .map_or(Money::ZERO, |i| i.amount)
    }

    /// The `n`-th party's habits: the same mix in every register, however small (of every
    /// twenty: eleven on time, three often late, two partial, two debtors, two who pay
    /// the year at once, one of them more than owed).
    fn payer(&mut self, n: usize) -> Payer {
        const PATTERN: &[u8; 20] = b"PLPAPpPDLPPEPLPpDPAP";
        match PATTERN.get(n % PATTERN.len()).copied().unwrap_or(b'P') {
            b'L' => Payer::Late,
            b'p' => Payer::Partial,
            b'D' => Payer::Debtor {
                stops: day(2025, 3, 1) + Duration::days(self.rng.range(0, 600)),
            },
            b'A' => Payer::Annual { extra: Money::ZERO },
            b'E' => Payer::Annual {
                extra: Money::from_grosze(self.rng.range(1_000, 25_000)),
            },
            _ => Payer::Punctual,
        }
    }

    // -------------------------------------------------------------- obligations

    /// The obligations of the `n`-th party of its kind (what it owns and owes is drawn; who
    /// has vehicles or a lease follows `n`, so that every register has some).
    fn obligations_of(&mut self, profile: Profile, kind: PartyKind, n: usize) -> Vec<Spec> {
        let mut specs = Vec::new();
        match (profile, kind) {
            (Profile::Gmina, PartyKind::Person) => {
                let house = self.rng.range(55, 220);
                let land = self.rng.range(300, 2500);
                let business = if self.rng.percent(10) {
                    self.rng.range(15, 120)
                } else {
                    0
                };
                let residents = if n % 8 == 7 { 0 } else { self.rng.range(1, 6) };
                let vehicles = self.fleet(n % 6 == 3, 2);
                let lease = (n % 9 == 5).then(|| self.rng.range(60_000, 900_000));
                let plot = self.plot();
                for year in YEARS {
                    specs.push(self.property_person(year, house, land, business));
                    if residents > 0 {
                        specs.push(self.waste(year, residents));
                    }
                    if !vehicles.is_empty() {
                        specs.push(self.transport(year, &vehicles));
                    }
                    if let Some(rent) = lease {
                        specs.push(self.lease(year, rent, &format!("działki nr {plot}")));
                    }
                }
            }
            (Profile::Gmina, PartyKind::Organisation) => {
                let building = self.rng.range(120, 3500);
                let land = self.rng.range(400, 15_000);
                let vehicles = self.fleet(n.is_multiple_of(2), 5);
                let lease = (!n.is_multiple_of(3)).then(|| self.rng.range(300_000, 4_800_000));
                let plot = self.plot();
                for year in YEARS {
                    specs.push(self.property_organisation(year, building, land));
                    if !vehicles.is_empty() {
                        specs.push(self.transport(year, &vehicles));
                    }
                    if let Some(rent) = lease {
                        specs.push(self.lease(
                            year,
                            rent,
                            &format!("lokalu użytkowego i działki nr {plot}"),
                        ));
                    }
                }
            }
            (Profile::Powiat, _) => {
                let (value, pct, rent) = match kind {
                    PartyKind::Person => (
                        (n % 4 != 3).then(|| self.rng.range(4_000_000, 45_000_000)),
                        1,
                        (n % 3 == 1 || n % 4 == 3).then(|| self.rng.range(80_000, 1_500_000)),
                    ),
                    PartyKind::Organisation => (
                        (n % 3 != 2).then(|| self.rng.range(20_000_000, 300_000_000)),
                        3,
                        (!n.is_multiple_of(3)).then(|| self.rng.range(500_000, 6_000_000)),
                    ),
                };
                let plot = self.plot();
                let leased = self.plot();
                for year in YEARS {
                    if let Some(v) = value {
                        specs.push(self.usufruct(year, v, pct, &plot));
                    }
                    if let Some(r) = rent {
                        specs.push(self.lease(
                            year,
                            r,
                            &format!("gruntu rolnego, działka nr {leased}"),
                        ));
                    }
                }
            }
        }
        specs
    }

    /// 1..=`max` vehicles (indices into [`VEHICLES`]) if the party `has` any.
    fn fleet(&mut self, has: bool, max: i64) -> Vec<usize> {
        if !has {
            return Vec::new();
        }
        (0..self.rng.range(1, max))
            .map(|_| usize::try_from(self.rng.below(VEHICLES.len() as u64)).unwrap_or(0))
            .collect()
    }

    fn plot(&mut self) -> String {
        format!("{}/{}", self.rng.range(1, 950), self.rng.range(1, 12))
    }

    fn decision_no(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn property_person(&mut self, year: i32, house: i64, land: i64, business: i64) -> Spec {
        let y = year_index(year);
        let r = &self.rates;
        let grosze = house * TenantRates::rate(MAX_RESIDENTIAL[y], r.residential_pct)
            + land * TenantRates::rate(MAX_LAND_OTHER[y], r.land_pct)
            + business * TenantRates::rate(MAX_BUSINESS_BUILDING[y], r.business_pct);
        let on = day(year, 2, 2) + Duration::days(self.rng.range(0, 20));
        let no = self.decision_no();
        Spec {
            on,
            kind: PROPERTY_PERSON,
            year,
            title: format!("Podatek od nieruchomości {year}, decyzja FN.3120.{no}.{year}"),
            amount: Money::from_grosze(grosze),
            installments: None,
        }
    }

    fn property_organisation(&mut self, year: i32, building: i64, land: i64) -> Spec {
        let y = year_index(year);
        let r = &self.rates;
        let grosze = building * TenantRates::rate(MAX_BUSINESS_BUILDING[y], r.business_pct)
            + land * TenantRates::rate(MAX_BUSINESS_LAND[y], r.business_pct);
        Spec {
            on: day(year, 1, 8) + Duration::days(self.rng.range(0, 16)),
            kind: PROPERTY_ORGANISATION,
            year,
            title: format!("Podatek od nieruchomości {year}, deklaracja DN-1"),
            amount: Money::from_grosze(grosze),
            installments: None,
        }
    }

    fn transport(&mut self, year: i32, vehicles: &[usize]) -> Spec {
        let y = year_index(year);
        let grosze: i64 = vehicles
            .iter()
            .filter_map(|v| VEHICLES.get(*v))
            .map(|(_, max)| TenantRates::rate(max[y], self.rates.transport_pct))
            .sum();
        let names: Vec<&str> = vehicles
            .iter()
            .filter_map(|v| VEHICLES.get(*v).map(|(n, _)| *n))
            .collect();
        Spec {
            on: day(year, 1, 20) + Duration::days(self.rng.range(0, 22)),
            kind: TRANSPORT,
            year,
            title: format!(
                "Podatek od środków transportowych {year}, deklaracja DT-1 ({})",
                names.join(", ")
            ),
            amount: Money::from_grosze(grosze),
            installments: None,
        }
    }

    fn waste(&mut self, year: i32, residents: i64) -> Spec {
        let rate = self.rates.waste[year_index(year)];
        Spec {
            on: day(year, 1, 2),
            kind: WASTE,
            year,
            title: format!(
                "Opłata za gospodarowanie odpadami komunalnymi {year}, deklaracja DO ({residents} os. × {})",
                Money::from_grosze(rate).to_polish()
            ),
            amount: Money::from_grosze(residents * rate * 12),
            installments: None,
        }
    }

    /// A lease with quarterly rent; `annual` in grosze.
    fn lease(&mut self, year: i32, annual: i64, subject: &str) -> Spec {
        let quarter = annual / 4;
        let first = annual - 3 * quarter;
        let installments = [(3, 31), (6, 30), (9, 30), (12, 31)]
            .iter()
            .enumerate()
            .map(|(i, (m, d))| {
                let amount = if i == 0 { first } else { quarter };
                (day(year, *m, *d), Money::from_grosze(amount))
            })
            .collect();
        let no = self.decision_no();
        Spec {
            on: day(year, 1, 2),
            kind: LEASE,
            year,
            title: format!("Czynsz dzierżawny {year} — umowa GN.6845.{no}, {subject}"),
            amount: Money::from_grosze(annual),
            installments: Some(installments),
        }
    }

    /// The annual usufruct fee: `pct` percent of the land's value (grosze).
    fn usufruct(&mut self, year: i32, value: i64, pct: i64, plot: &str) -> Spec {
        Spec {
            on: day(year, 1, 2),
            kind: USUFRUCT,
            year,
            title: format!(
                "Opłata roczna z tytułu użytkowania wieczystego {year}, działka nr {plot} ({pct}% wartości)"
            ),
            amount: Money::from_grosze(value * pct / 100),
            installments: None,
        }
    }

    // -------------------------------------------------------------- parties

    fn person(&mut self, first: Option<&'static str>) -> NewParty {
        let male = first.is_some() || self.rng.percent(50);
        let first = first.unwrap_or_else(|| {
            if male {
                self.rng.pick(MALE)
            } else {
                self.rng.pick(FEMALE)
            }
        });
        let surname = surname_for(self.rng.pick(SURNAMES), male);
        let pesel = self.pesel(male);
        let email = self.rng.percent(25).then(|| {
            format!(
                "{}.{}{}@{}",
                ascii(first),
                ascii(&surname),
                self.rng.range(1, 99),
                self.place.email_domain
            )
        });
        NewParty {
            kind: PartyKind::Person,
            name: format!("{first} {surname}"),
            pesel: Some(pesel),
            nip: None,
            regon: None,
            krs: None,
            address: self.address(),
            email,
            phone: self.phone(40),
        }
    }

    fn organisation(&mut self) -> NewParty {
        let surname = self.rng.pick(SURNAMES);
        let word = self.rng.pick(WORDS);
        let name = match self.rng.below(6) {
            0 => {
                let a = self.rng.pick(SYLLABLES);
                let b = self.rng.pick(SYLLABLES);
                format!("{a}-{b} sp. z o.o.")
            }
            1 => format!("Przedsiębiorstwo Handlowo-Usługowe „{word}” sp. z o.o."),
            2 => format!("Spółdzielnia Mieszkaniowa „{word}”"),
            3 => format!("{surname} i Synowie sp. j."),
            4 => format!("Piekarnia „{word}” sp. z o.o."),
            _ => format!("Zakład Usług Transportowych {surname} sp. z o.o."),
        };
        NewParty {
            kind: PartyKind::Organisation,
            name,
            pesel: None,
            nip: Some(self.nip()),
            regon: Some(self.regon()),
            krs: Some(format!("0000{:06}", self.rng.range(100_000, 999_999))),
            address: self.address(),
            email: None,
            phone: self.phone(70),
        }
    }

    fn address(&mut self) -> AddressInput {
        let (city, postal) = self.rng.pick(&self.place.towns).clone();
        let street = self.rng.pick(self.place.streets);
        let number = self.rng.range(1, 140);
        let street = if self.place.streets == ZAMOSC_STREETS && self.rng.percent(45) {
            format!("{street} {number}/{}", self.rng.range(1, 60))
        } else {
            format!("{street} {number}")
        };
        AddressInput {
            street: Some(street),
            postal_code: Some(postal),
            city: Some(city),
        }
    }

    fn phone(&mut self, chance: u64) -> Option<String> {
        self.rng.percent(chance).then(|| {
            format!(
                "+48 {} {:03} {:03}",
                self.rng
                    .pick(&["501", "512", "602", "608", "693", "724", "785", "884"]),
                self.rng.below(1000),
                self.rng.below(1000)
            )
        })
    }

    /// A PESEL not used yet: born 1938–2001, the sex digit matching.
    fn pesel(&mut self, male: bool) -> String {
        loop {
            let year = self.rng.range(1938, 2001);
            let month = self.rng.range(1, 12) + if year >= 2000 { 20 } else { 0 };
            let dd = self.rng.range(1, 28);
            let serial = self.rng.below(1000);
            let sex = self.rng.below(5) * 2 + u64::from(male);
            let first10 = format!("{:02}{month:02}{dd:02}{serial:03}{sex}", year % 100);
            if let Some(check) = Pesel::check_digit(&first10) {
                let pesel = format!("{first10}{check}");
                if self.used_pesels.insert(pesel.clone()) {
                    return pesel;
                }
            }
        }
    }

    /// A NIP of the tenant's tax office, not used yet.
    fn nip(&mut self) -> String {
        const WEIGHTS: [u32; 9] = [6, 5, 7, 2, 3, 4, 5, 6, 7];
        loop {
            let body = format!("{}{:06}", self.place.nip_prefix, self.rng.below(1_000_000));
            let check = weighted(&body, &WEIGHTS) % 11;
            if check == 10 {
                continue;
            }
            let nip = format!("{body}{check}");
            if self.used_nips.insert(nip.clone()) {
                return nip;
            }
        }
    }

    /// A 9-digit REGON (entities registered in Lubelskie start with 06).
    fn regon(&mut self) -> String {
        const WEIGHTS: [u32; 8] = [8, 9, 2, 3, 4, 5, 6, 7];
        let body = format!("06{:06}", self.rng.below(1_000_000));
        format!("{body}{}", weighted(&body, &WEIGHTS) % 11 % 10)
    }
}

fn weighted(digits: &str, weights: &[u32]) -> u32 {
    digits
        .bytes()
        .zip(weights)
        .map(|(b, w)| u32::from(b.saturating_sub(b'0')) * w)
        .sum()
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        PROPERTY_PERSON | PROPERTY_ORGANISATION => "podatek od nieruchomości",
        TRANSPORT => "podatek od środków transportowych",
        WASTE => "opłata za odpady",
        LEASE => "czynsz dzierżawny",
        USUFRUCT => "opłata za użytkowanie wieczyste",
        _ => "należność",
    }
}

/// Kowalski → Kowalska for a woman; Nowak stays Nowak.
fn surname_for(surname: &str, male: bool) -> String {
    match surname.strip_suffix('i') {
        Some(stem)
            if !male && (stem.ends_with("sk") || stem.ends_with("ck") || stem.ends_with("dzk")) =>
        {
            format!("{stem}a")
        }
        _ => surname.to_owned(),
    }
}

/// Lower-case ASCII for e-mail addresses: Łukasz Wiśniewski → lukasz, wisniewski.
fn ascii(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c.to_lowercase().next().unwrap_or(c) {
                'ą' => 'a',
                'ć' => 'c',
                'ę' => 'e',
                'ł' => 'l',
                'ń' => 'n',
                'ó' => 'o',
                'ś' => 's',
                'ź' | 'ż' => 'z',
                other => other,
            };
            c.is_ascii_alphanumeric().then_some(c)
        })
        .collect()
}

fn day(year: i32, month: u32, dd: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, dd).unwrap_or_default()
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// xorshift64*: small, deterministic, good enough for demo data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// 0..n (0 when n is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// lo..=hi.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1);
        lo + i64::try_from(self.below(span)).unwrap_or(0)
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    fn pick<T: Clone + Default>(&mut self, items: &[T]) -> T {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(i).cloned().unwrap_or_default()
    }
}

// ------------------------------------------------------------------ the clock of each event

/// A context whose clock stands on the day of the event being recorded. Its store is never
/// used: every service call gets the seeding transaction explicitly.
struct Dated {
    clock: Arc<ManualClock>,
    ctx: Ctx,
}

impl Dated {
    fn new(base: &Ctx) -> Self {
        let clock = Arc::new(ManualClock::new(base.clock().now()));
        let services = Services::new(
            Arc::new(NoStore),
            Arc::new(MemoryKv::default()),
            clock.clone(),
        );
        Self {
            ctx: Ctx::new(
                base.scope().clone(),
                Actor::System,
                RequestId::new(),
                services,
            ),
            clock,
        }
    }

    fn at(&self, day: NaiveDate) -> &Ctx {
        self.clock
            .set(day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc());
        &self.ctx
    }
}

struct NoStore;

#[async_trait]
impl TenantConnector for NoStore {
    async fn begin(&self, _tenant: &TenantSlug) -> AppResult<DatabaseTransaction> {
        Err(AppError::internal(std::io::Error::other(
            "demo seeding writes through the transaction it was given",
        )))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::path::Path;

    use sea_orm::{ColumnTrait, QueryFilter};
    use wspolnota_core::tenant::TenantConfig;
    use wspolnota_core::{EService, Role, Roles, Scope, Tenant, TenantStatus};
    use wspolnota_db::{DbSettings, Store};

    use super::*;
    use crate::entity::{ledger_line, obligation, payment};
    use crate::rules::NationalRules;
    use crate::service::account::{self, InstallmentStatus};

    struct Fixture {
        store: Arc<Store>,
        tenant: Arc<Tenant>,
        finance: Finance,
        clock: Arc<ManualClock>,
        dir: std::path::PathBuf,
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    impl Fixture {
        async fn new(slug: &str, today: NaiveDate) -> Self {
            let dir =
                std::env::temp_dir().join(format!("wsp-fin-demo-{}", Uuid::new_v4().simple()));
            let store = Store::connect(&DbSettings::Sqlite {
                data_dir: dir.clone(),
            })
            .await
            .unwrap();
            let path =
                Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../tenants/{slug}.toml"));
            let text = std::fs::read_to_string(path).unwrap();
            let config = TenantConfig::from_toml(
                &format!("{slug}.toml"),
                &text,
                &["finance", "payments", "statements", "notifications"],
            )
            .unwrap();
            store.migrate_tenant(&config.slug).await.unwrap();
            let finance = Finance::new(
                NationalRules::embedded().unwrap(),
                b"demo-test-pepper-demo-test-pepper".to_vec(),
            );
            let f = Self {
                store,
                tenant: Arc::new(Tenant::new(config, TenantStatus::Active)),
                finance: finance.clone(),
                clock: Arc::new(ManualClock::new(
                    today.and_hms_opt(9, 30, 0).unwrap().and_utc(),
                )),
                dir,
            };
            crate::FinanceService(finance)
                .provision(&f.ctx(Actor::System))
                .await
                .unwrap();
            f
        }

        fn ctx(&self, actor: Actor) -> Ctx {
            let connector: Arc<dyn TenantConnector> = self.store.clone();
            Ctx::new(
                Scope::Tenant(self.tenant.clone()),
                actor,
                RequestId::new(),
                Services::new(connector, Arc::new(MemoryKv::default()), self.clock.clone()),
            )
        }

        fn account(&self, id: AccountId, role: Role) -> Ctx {
            self.ctx(Actor::Account {
                id,
                roles: Roles::new(vec![role]),
                session: "s".into(),
            })
        }
    }

    #[tokio::test]
    async fn a_gmina_gets_a_register_and_the_resident_one_overdue_installment() {
        let today = day(2026, 11, 27);
        let f = Fixture::new("zamosc", today).await;
        let resident = AccountId::new();
        let started = std::time::Instant::now();
        let summary = seed(&f.finance, &f.ctx(Actor::System), Some(resident), 7)
            .await
            .unwrap();
        eprintln!("zamosc: {summary:?} in {:?}", started.elapsed());
        assert!(!summary.skipped);
        assert_eq!(
            summary.parties,
            1 + DemoSize::DEFAULT.gmina_persons + DemoSize::DEFAULT.gmina_organisations
        );

        let ctx = f.account(resident, Role::Resident);
        let data = account::load(&f.finance, &ctx, None).await.unwrap();
        let obligations = data.obligations(&f.finance, today, None);
        let mut kinds: Vec<&str> = obligations.iter().map(|o| o.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds, [PROPERTY_PERSON, TRANSPORT, WASTE]);
        let overdue: Vec<_> = obligations
            .iter()
            .flat_map(|o| o.installments.iter().map(move |i| (o.kind.as_str(), i)))
            .filter(|(_, i)| i.status == InstallmentStatus::Overdue)
            .collect();
        assert_eq!(overdue.len(), 1, "{overdue:?}");
        assert_eq!(overdue[0].0, PROPERTY_PERSON);
        let balance = data.balance(&f.finance, today);
        assert!(balance.overdue.is_positive());

        // The books: balanced, nothing dated after today, every kind of payer present.
        let tx = TenantDb::begin(&f.ctx(Actor::System)).await.unwrap();
        let lines = ledger_line::Entity::find().all(&*tx).await.unwrap();
        let debit: i64 = lines.iter().map(|l| l.debit).sum();
        let credit: i64 = lines.iter().map(|l| l.credit).sum();
        assert_eq!(debit, credit);
        let paid = payment::Entity::find().all(&*tx).await.unwrap();
        assert!(paid.iter().all(|p| p.paid_on <= today));
        assert!(paid.iter().any(|p| p.overpayment > 0), "some overpay");
        let kinds: Vec<String> = obligation::Entity::find()
            .all(&*tx)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.kind_code)
            .collect();
        for k in [
            PROPERTY_PERSON,
            PROPERTY_ORGANISATION,
            TRANSPORT,
            WASTE,
            LEASE,
        ] {
            assert!(kinds.iter().any(|c| c == k), "{k}");
        }
        let mut in_arrears: Vec<Uuid> = installment::Entity::find()
            .filter(installment::Column::Outstanding.gt(0))
            .filter(installment::Column::DueDate.lt(today))
            .all(&*tx)
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.party_id)
            .collect();
        in_arrears.sort();
        in_arrears.dedup();
        assert!(in_arrears.len() >= 5, "{}", in_arrears.len());
        tx.commit().await.unwrap();

        // A second start adds nothing.
        let again = seed(&f.finance, &f.ctx(Actor::System), Some(resident), 7)
            .await
            .unwrap();
        assert!(again.skipped);
    }

    #[tokio::test]
    async fn a_powiat_gets_only_usufruct_and_leases() {
        let today = day(2026, 11, 27);
        let f = Fixture::new("powiat-lubelski", today).await;
        let resident = AccountId::new();
        let summary = seed(&f.finance, &f.ctx(Actor::System), Some(resident), 7)
            .await
            .unwrap();
        assert_eq!(
            summary.parties,
            1 + DemoSize::DEFAULT.powiat_persons + DemoSize::DEFAULT.powiat_organisations
        );
        let tx = TenantDb::begin(&f.ctx(Actor::System)).await.unwrap();
        let obligations = obligation::Entity::find().all(&*tx).await.unwrap();
        assert!(
            obligations
                .iter()
                .all(|o| o.kind_code == USUFRUCT || o.kind_code == LEASE)
        );
        tx.commit().await.unwrap();
        let ctx = f.account(resident, Role::Resident);
        let data = account::load(&f.finance, &ctx, None).await.unwrap();
        let views = data.obligations(&f.finance, today, None);
        assert!(views.iter().any(|o| o.kind == USUFRUCT));
        assert!(views.iter().any(|o| o.kind == LEASE));
        assert!(data.balance(&f.finance, today).outstanding.is_positive());
    }

    #[test]
    fn generated_identifiers_are_valid() {
        let mut s = Rng::new(1);
        let place = Place::of(
            "kurow",
            &wspolnota_core::tenant::Address {
                street: "ul. Lubelska 35".into(),
                postal_code: "24-170".into(),
                city: "Kurów".into(),
            },
        );
        let _ = &mut s;
        assert_eq!(place.nip_prefix, "716");
        assert_eq!(surname_for("Kowalski", false), "Kowalska");
        assert_eq!(surname_for("Zawadzki", false), "Zawadzka");
        assert_eq!(surname_for("Nowak", false), "Nowak");
        assert_eq!(ascii("Łukasz Wiśniewski"), "lukaszwisniewski");
    }
}
