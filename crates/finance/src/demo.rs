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
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait};
use uuid::Uuid;
use wspolnota_core::value::Pesel;
use wspolnota_core::{
    AccountId, Actor, AppError, AppResult, Ctx, ManualClock, MemoryKv, Money, RequestId,
    Services, TenantConnector, TenantDb, TenantSlug,
};

use crate::config::FeesConfig;
use crate::domain::{Calendar, interest};
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
    let tenant = ctx.tenant()?.clone();
    let fees = fin.fees(ctx)?;
    let today = ctx.clock().now().date_naive();
    let tx = TenantDb::begin(ctx).await?;
    if party::Entity::find().count(&*tx).await? > 0 {
        return Ok(DemoSummary {
            skipped: true,
            ..DemoSummary::default()
        });
    }
    let config = tenant.config();
    let profile = Profile::of(&fees, today);
    let mut seeder = Seeder {
        fin,
        dated: Dated::new(ctx),
        rng: Rng::new(seed ^ fnv(config.slug.as_str())),
        today,
        place: Place::of(config.slug.as_str(), &config.address),
        used_pesels: HashSet::new(),
        used_nips: HashSet::new(),
        summary: DemoSummary::default(),
        key_seq: 0,
    };
    let rates = TenantRates::draw(&mut seeder.rng);

    // The resident's party comes first: party number 1, the easiest to find at the desk.
    let resident = seeder.resident_party(&*tx, profile, &rates).await?;
    seeder.summary.resident_party = Some(resident);
    if let Some(account) = resident_account {
        parties::link(&*tx, ctx, account, resident, "clerk").await?;
    }
    let (persons, organisations) = match profile {
        Profile::Gmina => (GMINA_PERSONS, GMINA_ORGANISATIONS),
        Profile::Powiat => (POWIAT_PERSONS, POWIAT_ORGANISATIONS),
    };
    for i in 0..persons + organisations {
        let kind = if i % 10 == 9 && i / 10 < organisations {
            PartyKind::Organisation
        } else {
            PartyKind::Person
        };
        seeder.ordinary_party(&*tx, profile, kind, &rates).await?;
    }
    tx.commit().await?;
    Ok(seeder.summary)
}

/// Persons and organisations registered in a gmina (the resident's party comes on top).
pub const GMINA_PERSONS: usize = 300;
pub const GMINA_ORGANISATIONS: usize = 30;
/// Persons and organisations registered in a powiat.
pub const POWIAT_PERSONS: usize = 40;
pub const POWIAT_ORGANISATIONS: usize = 20;
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
    ("ciągnik siodłowy z naczepą do 36 t", [346_395, 355_748, 371_757]),
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
    /// Often late, then with interest.
    Late,
    /// Sometimes only part of an installment.
    Partial,
    /// On time until a day, then nothing.
    Debtor { stops: NaiveDate },
    /// Each obligation's whole year on its first due date; `extra` on top of the last one.
    Annual { extra: Money },
    /// Everything on time except one installment.
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

struct Seeder<'a> {
    fin: &'a Finance,
    dated: Dated,
    rng: Rng,
    today: NaiveDate,
    place: Place,
    used_pesels: HashSet<String>,
    used_nips: HashSet<String>,
    summary: DemoSummary,
    key_seq: u64,
}

impl Seeder<'_> {
    /// The party the resident account acts for: a person who owes, with exactly one
    /// installment overdue today (gminas: property tax, waste fee and transport tax;
    /// powiat: perpetual usufruct and a lease).
    async fn resident_party<C: ConnectionTrait>(
        &mut self,
        db: &C,
        profile: Profile,
        rates: &TenantRates,
    ) -> AppResult<Uuid> {
        let input = self.person(Some("Jan"));
        let p = self.insert(db, input).await?;
        let mut specs = Vec::new();
        for year in YEARS {
            match profile {
                Profile::Gmina => {
                    specs.push(self.property_person(year, rates, 112, 850, 0));
                    specs.push(self.waste(year, rates, 3));
                    specs.push(self.transport(year, rates, &[0]));
                }
                Profile::Powiat => {
                    specs.push(self.usufruct(year, 18_500_000, 1));
                    specs.push(self.lease(year, 342_000, "działki nr 214/3"));
                }
            }
        }
        specs.retain(|s| s.on <= self.today);
        let mut installments = Vec::new();
        for spec in specs {
            installments.extend(self.assess(db, p.id, spec).await?);
        }
        // The one left unpaid: the latest property tax (powiat: any) installment already due.
        let wanted = match profile {
            Profile::Gmina => Some(PROPERTY_PERSON),
            Profile::Powiat => None,
        };
        let unpaid = installments
            .iter()
            .filter(|(kind, i)| i.due_date < self.today && wanted.is_none_or(|w| *kind == w))
            .max_by_key(|(_, i)| i.due_date)
            .map(|(_, i)| i.id)
            .unwrap_or_default();
        let mut plan = BTreeMap::new();
        for (_, inst) in &installments {
            self.plan_payment(&mut plan, inst, Payer::AllButOne { unpaid }, None);
        }
        for (day, items) in plan {
            self.pay(db, p.id, day, items, Channel::Bank).await?;
        }
        Ok(p.id)
    }

    async fn ordinary_party<C: ConnectionTrait>(
        &mut self,
        db: &C,
        profile: Profile,
        kind: PartyKind,
        rates: &TenantRates,
    ) -> AppResult<()> {
        let input = match kind {
            PartyKind::Person => self.person(None),
            PartyKind::Organisation => self.organisation(),
        };
        let p = self.insert(db, input).await?;
        let mut specs = self.obligations_of(profile, kind, rates);
        specs.retain(|s| s.on <= self.today);
        specs.sort_by_key(|s| s.on);
        let payer = self.payer();
        let channel = match self.rng.below(10) {
            0..=5 => Channel::Bank,
            6..=8 => Channel::Cash,
            _ => Channel::Gateway,
        };
        // Assessments and payments in the order of their days, so a payment sees only what
        // was assessed before it (as it would have at the time).
        let mut specs = specs.into_iter().peekable();
        let mut plan: BTreeMap<NaiveDate, Vec<(Uuid, Money)>> = BTreeMap::new();
        loop {
            let next_spec = specs.peek().map(|s| s.on);
            let next_payment = plan.keys().next().copied();
            match (next_spec, next_payment) {
                (Some(s), Some(p)) if p < s => {
                    let items = plan.remove(&p).unwrap_or_default();
                    self.pay(db, p.id_placeholder(), p, items, channel).await?;
                }
                (Some(_), _) => {
                    let Some(spec) = specs.next() else { break };
                    let extra = match payer {
                        Payer::Annual { extra } if specs.peek().is_none() => Some(extra),
                        _ => None,
                    };
                    let installments = self.assess(db, p.id, spec).await?;
                    let mut first = true;
                    for (_, inst) in &installments {
                        self.plan_payment(&mut plan, inst, payer, extra.filter(|_| first));
                        first = false;
                    }
                }
                (None, Some(day)) => {
                    let items = plan.remove(&day).unwrap_or_default();
                    self.pay(db, p.id, day, items, channel).await?;
                }
                (None, None) => break,
            }
        }
        Ok(())
    }
}
