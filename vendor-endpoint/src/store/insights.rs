//! What the console summarises: alert rules (what raises an alert, how soon it must be
//! answered), the dashboard's figures, and NPS over time. Every query of the
//! alert_rules, alerts and settings tables is here.

use parley_protocol::{AgreementId, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use time::{Duration, OffsetDateTime};

use std::collections::BTreeMap;

use super::cases::{NewCase, ScoreBand};
use super::staff::uuid_v4;
use super::{Backend, Store};
use crate::error::{Error, Result};

/// What raises an alert on a new case, and the first-response target it sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRule {
    /// Its id.
    #[serde(default)]
    pub id: String,
    /// Its name, shown on alerts.
    pub name: String,
    /// Only this message type (`Feedback`, `SupportRequest`, `Intent`); any when absent.
    pub kind: Option<String>,
    /// Only scores from this one.
    pub score_min: Option<i64>,
    /// Only scores up to this one.
    pub score_max: Option<i64>,
    /// Only cases whose text contains this word.
    pub keyword: Option<String>,
    /// The first-response target, in hours.
    pub first_response_hours: i64,
    /// Whether it raises alerts.
    pub enabled: bool,
}

impl AlertRule {
    /// Whether a new case raises this rule's alert.
    pub(crate) fn matches(&self, case: &NewCase) -> bool {
        self.enabled
            && self.kind.as_deref().is_none_or(|k| k == case.kind)
            && self.score_min.is_none_or(|min| case.score.is_some_and(|s| s >= min))
            && self.score_max.is_none_or(|max| case.score.is_some_and(|s| s <= max))
            && self.keyword.as_deref().is_none_or(|k| case.search_text.contains(&k.to_lowercase()))
    }

    fn validate(&self) -> Result<()> {
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(Error::Invalid("name: 1 to 200 characters".into()));
        }
        if let Some(kind) = &self.kind {
            if !["Feedback", "SupportRequest", "Intent"].contains(&kind.as_str()) {
                return Err(Error::Invalid(format!(
                    "kind: {kind:?} is not Feedback, SupportRequest or Intent"
                )));
            }
        }
        for score in [self.score_min, self.score_max].into_iter().flatten() {
            if !(0..=10).contains(&score) {
                return Err(Error::Invalid(format!("score: {score} is not between 0 and 10")));
            }
        }
        if !(1..=24 * 90).contains(&self.first_response_hours) {
            return Err(Error::Invalid("firstResponseHours: between 1 hour and 90 days".into()));
        }
        Ok(())
    }
}

fn rule_row(r: &AnyRow) -> Result<AlertRule> {
    Ok(AlertRule {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        score_min: r.try_get("score_min")?,
        score_max: r.try_get("score_max")?,
        keyword: r.try_get("keyword")?,
        first_response_hours: r.try_get("first_response_hours")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
    })
}

/// An enabled rule's columns as stored, in [`RULE_COLUMNS`]' order.
#[derive(Deserialize)]
struct StoredRule(String, String, Option<String>, Option<i64>, Option<i64>, Option<String>, i64);

/// The columns [`StoredRule`] holds.
const RULE_COLUMNS: &str = "id, name, kind, score_min, score_max, keyword, first_response_hours";

/// The enabled rules, read in the writer's transaction as one row (see
/// [`Backend::as_one_row`]): the writer reads them for every batch that opens cases.
pub(crate) async fn enabled_rules_in(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
) -> Result<Vec<AlertRule>> {
    let select = format!("SELECT {RULE_COLUMNS} FROM alert_rules WHERE enabled = 1");
    let found: String = sqlx::query(&backend.as_one_row(RULE_COLUMNS, &select))
        .fetch_one(&mut *conn)
        .await?
        .try_get("found")?;
    let found: Vec<StoredRule> =
        serde_json::from_str(&found).map_err(|e| Error::Refused(format!("stored alert rules: {e}")))?;
    let mut rules: Vec<AlertRule> = found
        .into_iter()
        .map(|StoredRule(id, name, kind, score_min, score_max, keyword, first_response_hours)| AlertRule {
            id,
            name,
            kind,
            score_min,
            score_max,
            keyword,
            first_response_hours,
            enabled: true,
        })
        .collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rules)
}

/// One feedback score entering or leaving the NPS counts (the nps_days table).
#[derive(Debug, Clone)]
pub(crate) struct ScoreChange {
    day: String,
    model: String,
    band: ScoreBand,
    by: i64,
}

impl ScoreChange {
    /// A score stored with a message received at `received`.
    pub(crate) fn entering(received: &str, model: Option<&str>, score: i64) -> Self {
        Self::new(received, model, score, 1)
    }

    /// A score deleted with its case.
    pub(crate) fn leaving(received: &str, model: Option<&str>, score: i64) -> Self {
        Self::new(received, model, score, -1)
    }

    fn new(received: &str, model: Option<&str>, score: i64, by: i64) -> Self {
        Self {
            day: received.get(..10).unwrap_or(received).to_owned(),
            model: model.unwrap_or_default().to_owned(),
            band: ScoreBand::of(score),
            by,
        }
    }
}

/// Applies score changes to the per-day counts, one upsert per day and model, taken in
/// key order: two writers' transactions (two instances on one PostgreSQL) lock the rows
/// they share in the same order, so they cannot deadlock on them. Rows whose counts
/// reach zero go, so a revoked score leaves no trace of its day.
pub(crate) async fn count_scores_in(
    conn: &mut sqlx::AnyConnection,
    changes: impl IntoIterator<Item = ScoreChange>,
) -> Result<()> {
    let mut sums: BTreeMap<(String, String), [i64; 3]> = BTreeMap::new();
    for c in changes {
        let counts = sums.entry((c.day, c.model)).or_default();
        counts[match c.band {
            ScoreBand::Promoter => 0,
            ScoreBand::Passive => 1,
            ScoreBand::Detractor => 2,
        }] += c.by;
    }
    for ((day, model), [promoters, passives, detractors]) in sums {
        sqlx::query(
            "INSERT INTO nps_days (day, product_model, promoters, passives, detractors) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (day, product_model) DO UPDATE SET promoters = nps_days.promoters + excluded.promoters,
               passives = nps_days.passives + excluded.passives, detractors = nps_days.detractors + excluded.detractors",
        )
        .bind(&day)
        .bind(&model)
        .bind(promoters)
        .bind(passives)
        .bind(detractors)
        .execute(&mut *conn)
        .await?;
        if promoters < 0 || passives < 0 || detractors < 0 {
            sqlx::query(
                "DELETE FROM nps_days WHERE day = $1 AND product_model = $2
                 AND promoters <= 0 AND passives <= 0 AND detractors <= 0",
            )
            .bind(&day)
            .bind(&model)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// An open alert, for the dashboard.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenAlert {
    /// The case.
    pub case_id: String,
    /// Its title.
    pub title: Option<String>,
    /// Its type.
    pub kind: String,
    /// Its score.
    pub score: Option<i64>,
    /// The rule that raised it.
    pub rule: String,
    /// When it was raised.
    pub raised: String,
    /// The first-response deadline.
    pub due: Option<String>,
    /// Whether that has passed.
    pub overdue: bool,
    /// Who owns the case.
    pub assignee: Option<String>,
}

/// The dashboard's figures.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    /// Alerts whose case has no first response yet, oldest first.
    pub open_alerts: Vec<OpenAlert>,
    /// Cases past their first-response deadline.
    pub overdue: i64,
    /// Cases not resolved (nor deleted).
    pub open_cases: i64,
    /// Median time to first response over the last 30 days, in minutes.
    pub median_first_response_minutes: Option<i64>,
    /// Share of detractors' loops closed (answered, and the answer pulled) over 7 days.
    pub loops_closed_7_days: Option<f64>,
    /// The same over 30 days.
    pub loops_closed_30_days: Option<f64>,
}

/// One period of NPS.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NpsPoint {
    /// The first day of the period (`YYYY-MM-DD`).
    pub start: String,
    /// Scores 9–10.
    pub promoters: i64,
    /// Scores 7–8.
    pub passives: i64,
    /// Scores 0–6.
    pub detractors: i64,
    /// All responses.
    pub count: i64,
    /// % promoters − % detractors.
    pub score: f64,
}

/// The length of an NPS period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Weeks from Monday.
    Week,
    /// Calendar months.
    Month,
}

impl std::str::FromStr for Period {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            other => Err(Error::Invalid(format!("period: {other:?} is not week or month"))),
        }
    }
}

impl Period {
    /// The first day of the period a day (`YYYY-MM-DD`) falls in.
    fn start_of(&self, day: &str) -> Option<String> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let date = time::Date::parse(day, &format).ok()?;
        let start = match self {
            Self::Week => date - Duration::days(date.weekday().number_days_from_monday() as i64),
            Self::Month => date.replace_day(1).ok()?,
        };
        start.format(&format).ok()
    }
}

/// The agreements the vendor accepts, once an admin has set them (else the
/// configuration file's).
const AGREEMENTS: &str = "agreements";
const AGREEMENTS_EFFECTIVE: &str = "agreements-effective";

impl Store {
    /// Every alert rule.
    pub async fn alert_rules(&self) -> Result<Vec<AlertRule>> {
        let rows =
            sqlx::query("SELECT * FROM alert_rules ORDER BY created, id").fetch_all(self.pool()).await?;
        rows.iter().map(rule_row).collect()
    }

    /// Adds a rule, or replaces the one with the same id.
    pub async fn save_alert_rule(&self, rule: &AlertRule) -> Result<AlertRule> {
        rule.validate()?;
        let mut rule = rule.clone();
        if rule.id.is_empty() {
            rule.id = uuid_v4();
        }
        let mut tx = self.write_tx(self.pool()).await?;
        sqlx::query("DELETE FROM alert_rules WHERE id = $1").bind(&rule.id).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO alert_rules (id, name, kind, score_min, score_max, keyword, first_response_hours, enabled,
             created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&rule.id)
        .bind(rule.name.trim())
        .bind(&rule.kind)
        .bind(rule.score_min)
        .bind(rule.score_max)
        .bind(rule.keyword.as_deref().map(str::trim).filter(|k| !k.is_empty()))
        .bind(rule.first_response_hours)
        .bind(i64::from(rule.enabled))
        .bind(Timestamp::now().to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rule)
    }

    /// The dashboard's figures, now. Its reads are independent, so they run at once on
    /// the pool's connections.
    pub async fn dashboard(&self) -> Result<Dashboard> {
        let now = OffsetDateTime::now_utc();
        let (
            open_alerts,
            (overdue, open_cases),
            median_first_response_minutes,
            loops_closed_7_days,
            loops_closed_30_days,
        ) = tokio::try_join!(
            self.open_alerts(now),
            self.open_and_overdue(now),
            self.median_first_response(now - Duration::days(30)),
            self.loops_closed(now - Duration::days(7)),
            self.loops_closed(now - Duration::days(30)),
        )?;
        Ok(Dashboard {
            open_alerts,
            overdue,
            open_cases,
            median_first_response_minutes,
            loops_closed_7_days,
            loops_closed_30_days,
        })
    }

    /// Alerts on cases not yet answered, oldest first.
    async fn open_alerts(&self, now: OffsetDateTime) -> Result<Vec<OpenAlert>> {
        let now = Timestamp::from(now).to_string();
        sqlx::query(
            "SELECT cases.id, cases.title, cases.kind, cases.score, cases.due, alert_rules.name, alerts.raised,
                    staff.email AS assignee
             FROM cases JOIN alerts ON alerts.case_id = cases.id JOIN alert_rules ON alert_rules.id = alerts.rule_id
             LEFT JOIN staff ON staff.id = cases.assignee
             WHERE cases.first_response IS NULL AND cases.deleted IS NULL AND cases.state <> 'resolved'
             ORDER BY alerts.raised, cases.id LIMIT 200",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            let due: Option<String> = r.try_get("due")?;
            Ok(OpenAlert {
                case_id: r.try_get("id")?,
                title: r.try_get("title")?,
                kind: r.try_get("kind")?,
                score: r.try_get("score")?,
                rule: r.try_get("name")?,
                raised: r.try_get("raised")?,
                overdue: due.as_deref().is_some_and(|d| d < now.as_str()),
                due,
                assignee: r.try_get("assignee")?,
            })
        })
        .collect()
    }

    /// How many cases are open, and how many of them are past their first-response target.
    async fn open_and_overdue(&self, now: OffsetDateTime) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT (SELECT CAST(COUNT(*) AS BIGINT) FROM cases WHERE state IN ('new', 'open', 'waiting')) AS open,
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM cases WHERE first_response IS NULL AND deleted IS NULL
                     AND state <> 'resolved' AND due < $1) AS overdue",
        )
        .bind(Timestamp::from(now).to_string())
        .fetch_one(self.pool())
        .await?;
        Ok((row.try_get("overdue")?, row.try_get("open")?))
    }

    /// The median time to a first answer, in minutes, of the cases received since `since`.
    async fn median_first_response(&self, since: OffsetDateTime) -> Result<Option<i64>> {
        let sql = format!(
            "SELECT {} AS minutes FROM cases WHERE first_response IS NOT NULL AND received >= $1",
            self.backend().minutes_between("received", "first_response")
        );
        let mut minutes: Vec<i64> = sqlx::query(&sql)
            .bind(Timestamp::from(since).to_string())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| r.try_get("minutes").map_err(Error::from))
            .collect::<Result<_>>()?;
        minutes.sort_unstable();
        Ok((!minutes.is_empty()).then(|| minutes[minutes.len() / 2]))
    }

    /// Of the detractors' feedback received since `since`, the share whose loop is
    /// closed: the vendor answered, and the person has pulled the answer.
    async fn loops_closed(&self, since: OffsetDateTime) -> Result<Option<f64>> {
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS total,
                    CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM outbox WHERE outbox.in_reply_to = cases.id
                         AND outbox.pulled IS NOT NULL) THEN 1 ELSE 0 END), 0) AS BIGINT) AS closed
             FROM cases WHERE kind = 'Feedback' AND score <= 6 AND deleted IS NULL AND received >= $1",
        )
        .bind(Timestamp::from(since).to_string())
        .fetch_one(self.pool())
        .await?;
        let (total, closed): (i64, i64) = (row.try_get("total")?, row.try_get("closed")?);
        Ok((total > 0).then(|| closed as f64 / total as f64))
    }

    /// NPS per period from `from` to `to` (dates, inclusive), optionally for one product
    /// model; oldest first. Deleted feedback counts no more.
    pub async fn nps_series(
        &self,
        period: Period,
        model: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<NpsPoint>> {
        for (field, date) in [("from", from), ("to", to)] {
            if let Some(d) = date {
                parley_protocol::validate_date(field, d).map_err(|e| Error::Invalid(e.to_string()))?;
            }
        }
        // Read from the per-day counts; days are gathered into weeks or months here,
        // the same way on both databases.
        let sql = format!(
            "SELECT day, CAST(SUM(promoters) AS BIGINT) AS promoters, CAST(SUM(passives) AS BIGINT) AS passives,
                    CAST(SUM(detractors) AS BIGINT) AS detractors
             FROM nps_days WHERE day >= $1 AND day <= $2 {}
             GROUP BY day ORDER BY day",
            if model.is_some() { "AND product_model = $3" } else { "" }
        );
        let mut query = sqlx::query(&sql).bind(from.unwrap_or("0000-01-01")).bind(to.unwrap_or("9999-12-31"));
        if let Some(model) = model {
            query = query.bind(model);
        }
        let rows = query.fetch_all(self.pool()).await?;
        let mut points: Vec<NpsPoint> = Vec::new();
        for r in &rows {
            let day: String = r.try_get("day")?;
            let start =
                period.start_of(&day).ok_or_else(|| Error::Refused(format!("a stored day {day:?}")))?;
            let (promoters, passives, detractors): (i64, i64, i64) =
                (r.try_get("promoters")?, r.try_get("passives")?, r.try_get("detractors")?);
            match points.last_mut().filter(|p| p.start == start) {
                Some(p) => {
                    p.promoters += promoters;
                    p.passives += passives;
                    p.detractors += detractors;
                }
                None => {
                    points.push(NpsPoint { start, promoters, passives, detractors, count: 0, score: 0.0 })
                }
            }
        }
        for p in &mut points {
            p.count = p.promoters + p.passives + p.detractors;
            p.score = ((p.promoters - p.detractors) as f64 * 1000.0 / p.count.max(1) as f64).round() / 10.0;
        }
        Ok(points)
    }

    /// The product models feedback was given about, for the NPS filter.
    pub async fn product_models(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT product_model FROM nps_days WHERE product_model <> '' ORDER BY product_model LIMIT 500",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(|r| r.try_get("product_model").map_err(Error::from)).collect()
    }

    /// The agreements the vendor accepts, as an admin last set them; `None` until then.
    pub async fn accepted_agreements(&self) -> Result<Option<Vec<AgreementId>>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(AGREEMENTS)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            let text: String = r.try_get("value")?;
            serde_json::from_str(&text).map_err(|e| Error::Refused(format!("stored agreements: {e}")))
        })
        .transpose()
    }

    /// Sets the agreements the vendor accepts, in order of preference.
    pub async fn set_accepted_agreements(&self, agreements: &[AgreementId]) -> Result<()> {
        if agreements.is_empty() {
            return Err(Error::Invalid("agreements: accept at least one".into()));
        }
        let value = serde_json::to_string(agreements).map_err(|e| Error::Invalid(e.to_string()))?;
        let mut tx = self.write_tx(self.pool()).await?;
        for (key, value) in [(AGREEMENTS, value), (AGREEMENTS_EFFECTIVE, Timestamp::now().date())] {
            sqlx::query("DELETE FROM settings WHERE key = $1").bind(key).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2)")
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The date the agreements an admin set took effect.
    pub async fn agreements_effective(&self) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(AGREEMENTS_EFFECTIVE)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }
}
