//! The demo's business data: each customer's relationship (spells from acquisition to
//! churn, and back for a few), their monthly bills and device purchases, their support
//! contacts, and loyalty-programme membership.
//!
//! The link the retention KPIs reveal is built in. Each customer has a disposition (a
//! fixed quantile, see `ranked_category`) that, with the same biases and the outage that
//! move their scores, gives their mood at any time — the category most of their answers
//! show. The mood drives everything here: detractors churn about five times as often as
//! promoters (more still when their latest answer was a detractor's, and most right after
//! it, while its case is open), contact support more and complain more, buy fewer devices
//! and add-ons and downgrade; promoters upgrade and join the loyalty programme. Measured
//! as the KPI does — by the latest answer, which is sometimes off the mood — detractors
//! churn about three times as often as promoters.
//!
//! Generated in two phases around the answers: [`lives_before`] runs the relationships up
//! to the start of the answer window, so customers who had left by then are never asked;
//! [`Business::generate`] continues them through the window with the answers, drops the
//! answers given while not a customer, and fills in orders, contacts and memberships.

use super::{
    in_outage, normal, pick, ranked_category, shares, time_effect, weighted, Cat, Country,
    Customer, DemoAnswer, BASE_DETRACTORS, BASE_PROMOTERS, BUSINESS, PREMIUM, STANDARD, SURVEYS,
};
use advocate_core::{ContactChannel, SurveyKind};
use advocate_store::business::{HistoricContact, HistoricMembership, HistoricOrder, HistoricSpell};
use chrono::{DateTime, Duration, Months, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use std::collections::HashMap;

/// Monthly churn probability by mood: promoters ~6 % a year, passives ~12.5 %,
/// detractors ~27 % (about five times the promoters').
fn monthly_churn(cat: Cat) -> f64 {
    match cat {
        Cat::Promoter => 0.005,
        Cat::Passive => 0.011,
        Cat::Detractor => 0.026,
    }
}

/// A detractor answer this recent opens a case: the customer is at their most fragile.
const FRAGILE_DAYS: i64 = 45;
/// Share of churned customers who come back, some months later.
const RETURN_SHARE: f64 = 0.12;

/// Reporting currency and the others' rates into it, per whole unit.
pub(super) const REPORTING: &str = "NOK";
fn currency(country: Country) -> (&'static str, f64) {
    match country {
        Country::Norway => ("NOK", 1.0),
        Country::Sweden => ("SEK", 0.98),
        Country::Denmark => ("DKK", 1.56),
        Country::Finland | Country::Central => ("EUR", 11.65),
    }
}

/// Monthly prices in NOK of the plans' products (see `PLANS`).
fn price(product: &str) -> i64 {
    match product {
        "Mobile 5 GB" => 249,
        "Fiber 100" => 549,
        "Mobile 20 GB" => 349,
        "Fiber 300" => 699,
        "TV Basic" => 299,
        "Unlimited+" => 499,
        "Fiber 1000" => 899,
        "TV Max" => 549,
        "Business Mobile" => 399,
        "Business Pro" => 599,
        _ => 1_290,
    }
}

/// Contact channels (as stored) with their shares.
const CHANNELS: [(&str, f64); 10] = [
    ("email", 24.0),
    ("chat", 20.0),
    ("phone", 22.0),
    ("social", 5.0),
    ("sms", 3.0),
    ("chatbot", 10.0),
    ("video", 1.5),
    ("forum", 2.5),
    ("meeting", 2.0),
    ("self_service", 10.0),
];

/// A customer's relationship so far.
pub(super) struct Life {
    pub(super) spells: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    /// When a churned customer will come back, if they will.
    returns_at: Option<DateTime<Utc>>,
    /// The customer's disposition, uniform in 0..1 (see `ranked_category`).
    quantile: f64,
}

impl Life {
    pub(super) fn quantile(&self) -> f64 {
        self.quantile
    }

    /// Whether the customer had left by `t` and will not come back.
    pub(super) fn gone_by(&self, t: DateTime<Utc>) -> bool {
        self.returns_at.is_none()
            && self
                .spells
                .last()
                .is_some_and(|s| s.1.is_some_and(|e| e <= t))
    }

    fn active_at(&self, t: DateTime<Utc>) -> bool {
        self.spells
            .iter()
            .any(|&(from, to)| from <= t && to.is_none_or(|to| t < to))
    }
}

/// A customer's mood over time, and their NPS answers' categories, oldest first.
struct Mood<'a> {
    answers: &'a [(DateTime<Utc>, Cat)],
    quantile: f64,
    bias: f64,
    midnight: DateTime<Utc>,
}

impl<'a> Mood<'a> {
    fn new(
        c: &Customer,
        life: &Life,
        answers: &'a [(DateTime<Utc>, Cat)],
        midnight: DateTime<Utc>,
    ) -> Self {
        Self {
            answers,
            quantile: life.quantile,
            bias: c.bias,
            midnight,
        }
    }

    /// The category the customer's answers at `t` mostly show.
    fn at(&self, t: DateTime<Utc>) -> Cat {
        let shift = self.bias + time_effect((self.midnight - t).num_days());
        ranked_category(
            self.quantile,
            shares(shift, BASE_PROMOTERS, BASE_DETRACTORS),
        )
    }

    /// The category of the latest answer before `t`, if any.
    fn latest(&self, t: DateTime<Utc>) -> Option<Cat> {
        let n = self.answers.partition_point(|(at, _)| *at <= t);
        n.checked_sub(1).map(|i| self.answers[i].1)
    }

    /// Whether a detractor answer in the last [`FRAGILE_DAYS`] before `t`.
    fn fragile(&self, t: DateTime<Utc>) -> bool {
        let n = self.answers.partition_point(|(at, _)| *at <= t);
        self.answers[..n]
            .iter()
            .rev()
            .take_while(|(at, _)| t - *at < Duration::days(FRAGILE_DAYS))
            .any(|(_, cat)| *cat == Cat::Detractor)
    }
}

/// Runs every customer's relationship from acquisition to `until` (the answer window's
/// start); no answers are known then.
pub(super) fn lives_before(
    rng: &mut StdRng,
    customers: &[Customer],
    midnight: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Life> {
    customers
        .iter()
        .map(|c| {
            let joined = midnight - Duration::days(c.joined_days_ago)
                + Duration::seconds(rng.random_range(8 * 3600..20 * 3600));
            let mut life = Life {
                spells: vec![(joined, None)],
                returns_at: None,
                quantile: rng.random(),
            };
            let mood = Mood::new(c, &life, &[], midnight);
            live(rng, &mut life, &mood, joined, until);
            life
        })
        .collect()
}

/// Steps a relationship month by month from `from` to `to`: churn with the mood's
/// probability (higher in the first year and when fragile), and a return for a few.
fn live(rng: &mut StdRng, life: &mut Life, mood: &Mood, from: DateTime<Utc>, to: DateTime<Utc>) {
    let month = Duration::days(30);
    let mut t = from;
    while t < to {
        let open = life.spells.last().is_some_and(|s| s.1.is_none());
        if !open {
            match life.returns_at {
                Some(back) if back < to => {
                    life.spells.push((back.max(t), None));
                    life.returns_at = None;
                    t = back.max(t);
                    continue;
                }
                _ => return,
            }
        }
        let step_end = (t + month).min(to);
        let started = life.spells.last().expect("a spell").0;
        let mut p = monthly_churn(mood.at(t))
            * match mood.latest(t) {
                Some(Cat::Detractor) => 1.3,
                Some(Cat::Promoter) => 0.85,
                _ => 1.0,
            };
        if t - started < Duration::days(365) {
            p *= 1.25;
        }
        if mood.fragile(t) {
            p *= 1.6;
        }
        p *= (step_end - t).num_seconds() as f64 / month.num_seconds() as f64;
        if rng.random_bool(p.clamp(0.0, 1.0)) {
            let span = (step_end - t).num_seconds().max(1);
            let churned = t + Duration::seconds(rng.random_range(0..span));
            life.spells.last_mut().expect("a spell").1 = Some(churned);
            if rng.random_bool(RETURN_SHARE) {
                life.returns_at = Some(churned + Duration::days(rng.random_range(60..540)));
            }
        }
        t = step_end;
    }
}

/// The business rows of the demo.
pub(super) struct Business {
    pub(super) spells: Vec<HistoricSpell>,
    pub(super) orders: Vec<HistoricOrder>,
    pub(super) contacts: Vec<HistoricContact>,
    pub(super) loyalty: Vec<HistoricMembership>,
}

/// The categories of each customer's NPS answers, oldest first, by customer index.
fn answer_moods(customers: &[Customer], answers: &[DemoAnswer]) -> Vec<Vec<(DateTime<Utc>, Cat)>> {
    let index: HashMap<&str, usize> = customers
        .iter()
        .enumerate()
        .map(|(i, c)| (c.input.external_id.as_str(), i))
        .collect();
    let nps: Vec<&str> = SURVEYS
        .iter()
        .filter(|s| s.kind == SurveyKind::Nps)
        .map(|s| s.slug)
        .collect();
    let mut moods = vec![Vec::new(); customers.len()];
    for a in answers {
        let Some(id) = &a.customer_external_id else {
            continue;
        };
        if !nps.contains(&a.survey_slug.as_str()) {
            continue;
        }
        let cat = match a.score {
            0..=6 => Cat::Detractor,
            7 | 8 => Cat::Passive,
            _ => Cat::Promoter,
        };
        moods[index[id.as_str()]].push((a.answered_at, cat));
    }
    for m in &mut moods {
        m.sort_by_key(|(at, _)| *at);
    }
    moods
}

impl Business {
    /// Continues the relationships through the answer window to `now` using the answers,
    /// drops the answers given while not a customer, then generates the rest.
    pub(super) fn generate(
        rng: &mut StdRng,
        customers: &[Customer],
        lives: &mut [Life],
        answers: &mut Vec<DemoAnswer>,
        midnight: DateTime<Utc>,
        window_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        let moods = answer_moods(customers, answers);
        for (i, life) in lives.iter_mut().enumerate() {
            let mood = Mood::new(&customers[i], life, &moods[i], midnight);
            let from = life.spells[0].0.max(window_start);
            live(rng, life, &mood, from, now);
        }
        // Nobody answers while they are not a customer.
        let index: HashMap<&str, usize> = customers
            .iter()
            .enumerate()
            .map(|(i, c)| (c.input.external_id.as_str(), i))
            .collect();
        answers.retain(|a| {
            a.customer_external_id
                .as_deref()
                .is_none_or(|id| lives[index[id]].active_at(a.answered_at))
        });
        let moods = answer_moods(customers, answers);
        let mut out = Self {
            spells: Vec::new(),
            orders: Vec::with_capacity(500_000),
            contacts: Vec::new(),
            loyalty: Vec::new(),
        };
        for (i, c) in customers.iter().enumerate() {
            let mood = Mood::new(c, &lives[i], &moods[i], midnight);
            let id = &c.input.external_id;
            for &(from, to) in &lives[i].spells {
                out.spells.push(HistoricSpell {
                    customer_external_id: id.clone(),
                    started_at: from,
                    ended_at: to,
                });
                let until = to.unwrap_or(now).min(now);
                out.orders_for(rng, c, &mood, from, until);
                out.contacts_for(rng, c, &mood, from, until, now);
                out.membership_for(rng, c, &mood, from, to, now);
            }
        }
        out.orders.sort_by(|a, b| {
            (a.ordered_at, &a.customer_external_id).cmp(&(b.ordered_at, &b.customer_external_id))
        });
        for (n, o) in out.orders.iter_mut().enumerate() {
            o.external_id = format!("INV-{:07}", n + 1);
        }
        out.contacts.sort_by_key(|c| c.opened_at);
        for (n, c) in out.contacts.iter_mut().enumerate() {
            c.external_id = format!("T-{:06}", n + 1);
        }
        out
    }

    fn order(&mut self, c: &Customer, nok: i64, at: DateTime<Utc>) {
        let (code, rate) = currency(c.country);
        // Prices are set in the customer's currency; the reporting amount is converted.
        let original = ((nok * 100) as f64 / rate).round() as i64;
        let amount = (original as f64 * rate).round() as i64;
        self.orders.push(HistoricOrder {
            customer_external_id: c.input.external_id.clone(),
            external_id: String::new(),
            amount_minor: amount,
            original_amount_minor: original,
            original_currency: code.into(),
            ordered_at: at,
        });
    }

    /// A bill per subscription every month of the spell, plus add-ons and devices; the
    /// bill grows with upgrades (promoters) and shrinks with downgrades (detractors).
    fn orders_for(
        &mut self,
        rng: &mut StdRng,
        c: &Customer,
        mood: &Mood,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) {
        let products = super::PLANS[c.plan].products;
        let extra_share = match c.plan {
            PREMIUM => 0.75,
            STANDARD => 0.55,
            _ => 0.45,
        };
        let mut subscriptions: Vec<i64> = vec![price(products[0])];
        for p in &products[1..] {
            if rng.random_bool(extra_share) {
                subscriptions.push(price(p));
            }
        }
        if c.plan == BUSINESS {
            // More mobile lines, each billed on its own.
            for _ in 0..rng.random_range(0..7) {
                subscriptions.push(price(products[0]));
            }
        }
        let mut level = 1.0_f64;
        for k in 0.. {
            let Some(bill_day) = from.checked_add_months(Months::new(k)) else {
                break;
            };
            if bill_day >= until {
                break;
            }
            let cat = mood.at(bill_day);
            let (upgrade, downgrade, addon, device) = match cat {
                Cat::Promoter => (0.035, 0.005, 0.07, 1.0 / 20.0),
                Cat::Passive => (0.015, 0.012, 0.04, 1.0 / 30.0),
                Cat::Detractor => (0.004, 0.04, 0.015, 1.0 / 55.0),
            };
            if rng.random_bool(upgrade) {
                level = (level * 1.12).min(1.8);
            }
            if rng.random_bool(downgrade) {
                level = (level * 0.88).max(0.6);
            }
            for &monthly in &subscriptions {
                let nok = (monthly as f64 * level).round() as i64;
                self.order(c, nok, bill_day);
            }
            let in_month = |rng: &mut StdRng| {
                let at = bill_day + Duration::seconds(rng.random_range(0..30 * 86_400));
                (at < until).then_some(at)
            };
            if rng.random_bool(addon) {
                if let Some(at) = in_month(rng) {
                    let nok = *pick(rng, &[99, 129, 149, 199]);
                    self.order(c, nok, at);
                }
            }
            if rng.random_bool(device) {
                if let Some(at) = in_month(rng) {
                    let nok = *pick(rng, &[2_490, 4_990, 7_990, 10_990, 14_990]);
                    self.order(c, nok, at);
                }
            }
        }
    }

    /// About 11 % of customers contact support in a quarter; detractors and anyone during
    /// the outage more often, and more of their contacts are complaints.
    fn contacts_for(
        &mut self,
        rng: &mut StdRng,
        c: &Customer,
        mood: &Mood,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let month = Duration::days(30);
        let mut t = from;
        while t < until {
            let days_ago = (now - t).num_days();
            let outage = in_outage(days_ago);
            let cat = mood.at(t);
            let mut p: f64 = 0.038
                * match cat {
                    Cat::Promoter => 0.75,
                    Cat::Passive => 1.0,
                    Cat::Detractor => 1.8,
                };
            if outage {
                p *= 2.5;
            }
            if rng.random_bool(p.min(1.0)) {
                let opened = t + Duration::seconds(rng.random_range(0..30 * 86_400));
                if opened < until {
                    let complaint = match cat {
                        Cat::Promoter => 0.15,
                        Cat::Passive => 0.27,
                        Cat::Detractor => 0.48,
                    } + if outage { 0.25 } else { 0.0 };
                    let is_complaint = rng.random_bool(complaint);
                    self.contacts
                        .push(contact(rng, c, opened, is_complaint, outage, now));
                }
            }
            t += month;
        }
    }

    /// Joins at sign-up or later (promoters most), leaves some day, and always at churn.
    fn membership_for(
        &mut self,
        rng: &mut StdRng,
        c: &Customer,
        mood: &Mood,
        from: DateTime<Utc>,
        to: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) {
        let end = to.unwrap_or(now).min(now);
        let month = Duration::days(30);
        let mut member_since: Option<DateTime<Utc>> = rng.random_bool(0.06).then_some(from);
        let mut t = from;
        while t < end {
            let step_end = (t + month).min(end);
            let cat = mood.at(t);
            let at = |rng: &mut StdRng| {
                t + Duration::seconds(rng.random_range(0..(step_end - t).num_seconds().max(1)))
            };
            match member_since {
                None => {
                    let join = match cat {
                        Cat::Promoter => 0.016,
                        Cat::Passive => 0.008,
                        Cat::Detractor => 0.003,
                    };
                    if rng.random_bool(join) {
                        member_since = Some(at(rng));
                    }
                }
                Some(joined) => {
                    let leave = if cat == Cat::Detractor { 0.03 } else { 0.01 };
                    if rng.random_bool(leave) {
                        let left = at(rng).max(joined + Duration::seconds(1));
                        self.member(c, joined, Some(left.min(end)));
                        member_since = None;
                    }
                }
            }
            t = step_end;
        }
        if let Some(joined) = member_since {
            // Leaving as a customer ends the membership.
            self.member(c, joined, to.filter(|&to| to <= now));
        }
    }

    fn member(&mut self, c: &Customer, joined: DateTime<Utc>, left: Option<DateTime<Utc>>) {
        self.loyalty.push(HistoricMembership {
            customer_external_id: c.input.external_id.clone(),
            joined_at: joined,
            left_at: left,
        });
    }
}

/// A log-normal-ish duration around `median` seconds.
fn around(rng: &mut StdRng, median: f64, spread: f64) -> Duration {
    Duration::seconds((median * (spread * normal(rng)).exp()).max(1.0) as i64)
}

/// One contact: its channel (business customers meet their account manager), when it got
/// a first reply (chat in minutes, email in hours, social within a day, phone at once,
/// self-service never; slower during the outage) and when it was resolved.
fn contact(
    rng: &mut StdRng,
    c: &Customer,
    opened: DateTime<Utc>,
    is_complaint: bool,
    outage: bool,
    now: DateTime<Utc>,
) -> HistoricContact {
    let weights = CHANNELS.iter().map(|&(name, w)| match name {
        "meeting" | "video" if c.plan == BUSINESS => w * 6.0,
        _ => w,
    });
    let channel = CHANNELS[weighted(rng, weights)].0;
    let slow = if outage { 3.0 } else { 1.0 };
    let first_reply = match channel {
        "phone" => Some(around(rng, 180.0 * slow, 0.7)),
        "chat" => Some(around(rng, 240.0 * slow, 0.6)),
        "chatbot" => Some(around(rng, 3.0, 0.3)),
        "video" => Some(around(rng, 120.0, 0.5)),
        "meeting" => Some(Duration::zero()),
        "email" => Some(around(rng, 5.0 * 3600.0 * slow, 0.8)),
        "sms" => Some(around(rng, 2.0 * 3600.0 * slow, 0.8)),
        "social" => Some(around(rng, 6.0 * 3600.0 * slow, 0.7)),
        "forum" => rng
            .random_bool(0.85)
            .then(|| around(rng, 14.0 * 3600.0, 0.7)),
        _ => None,
    }
    .map(|d| opened + d)
    .filter(|&at| at <= now);
    let resolved = if channel == "self_service" {
        rng.random_bool(0.6)
            .then(|| opened + around(rng, 300.0, 0.5))
    } else {
        let base = first_reply.unwrap_or(opened);
        let work = if is_complaint {
            around(rng, 2.5 * 86_400.0 * slow, 0.9)
        } else if matches!(channel, "phone" | "chat" | "chatbot" | "video" | "meeting") {
            around(rng, 900.0, 0.6)
        } else {
            around(rng, 8.0 * 3600.0, 0.8)
        };
        // A few are never resolved (or not yet).
        (!rng.random_bool(if is_complaint { 0.06 } else { 0.02 })).then(|| base + work)
    }
    .filter(|&at| at <= now);
    HistoricContact {
        customer_external_id: c.input.external_id.clone(),
        external_id: String::new(),
        channel: ContactChannel::parse(channel).expect("the demo's channels are valid"),
        is_complaint,
        opened_at: opened,
        first_reply_at: first_reply,
        resolved_at: resolved,
    }
}
