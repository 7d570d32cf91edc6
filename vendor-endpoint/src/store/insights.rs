//! What the console summarises: alert rules (what raises an alert, how soon it must be
//! answered), the dashboard's figures, and NPS over time. Every query of the
//! alert_rules, alerts and settings tables is here.

use parley_protocol::time::{Duration, OffsetDateTime};
use parley_protocol::{AgreementId, Timestamp};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::cases::NewCase;
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

/// The enabled rules, read in the writer's transaction.
pub(crate) async fn enabled_rules_in(conn: &mut sqlx::AnyConnection) -> Result<Vec<AlertRule>> {
    let rows =
        sqlx::query("SELECT * FROM alert_rules WHERE enabled = 1 ORDER BY id").fetch_all(&mut *conn).await?;
    rows.iter().map(rule_row).collect()
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

impl Backend {
    /// SQL for the first day of the period `received` (RFC 3339 text) falls in.
    fn period_start(&self, period: Period) -> &'static str {
        match (self, period) {
            (Self::Sqlite, Period::Week) => "date(substr(received, 1, 10), '-6 days', 'weekday 1')",
            (Self::Sqlite, Period::Month) => "substr(received, 1, 7) || '-01'",
            (Self::Postgres, Period::Week) => {
                "to_char(date_trunc('week', CAST(substr(received, 1, 10) AS date)), 'YYYY-MM-DD')"
            }
            (Self::Postgres, Period::Month) => "substr(received, 1, 7) || '-01'",
        }
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
        let mut tx = self.pool().begin().await?;
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

    /// The dashboard's figures, now.
    pub async fn dashboard(&self) -> Result<Dashboard> {
        let now = OffsetDateTime::now_utc();
        let now_text = Timestamp::from(now).to_string();
        let open_alerts = sqlx::query(
            "SELECT cases.id, cases.title, cases.kind, cases.score, cases.due, alert_rules.name, alerts.raised,
                    staff.email AS assignee
             FROM alerts JOIN cases ON cases.id = alerts.case_id JOIN alert_rules ON alert_rules.id = alerts.rule_id
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
                overdue: due.as_deref().is_some_and(|d| d < now_text.as_str()),
                due,
                assignee: r.try_get("assignee")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let overdue: i64 = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM cases WHERE first_response IS NULL AND deleted IS NULL
             AND state <> 'resolved' AND due < $1",
        )
        .bind(&now_text)
        .fetch_one(self.pool())
        .await?
        .try_get("n")?;
        let open_cases: i64 = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM cases WHERE state IN ('new', 'open', 'waiting')",
        )
        .fetch_one(self.pool())
        .await?
        .try_get("n")?;
        let month_ago = Timestamp::from(now - Duration::days(30)).to_string();
        let mut minutes: Vec<i64> = sqlx::query(
            "SELECT received, first_response FROM cases WHERE first_response IS NOT NULL AND received >= $1",
        )
        .bind(&month_ago)
        .fetch_all(self.pool())
        .await?
        .iter()
        .filter_map(|r| {
            let received: Timestamp = r.try_get::<String, _>("received").ok()?.parse().ok()?;
            let answered: Timestamp = r.try_get::<String, _>("first_response").ok()?.parse().ok()?;
            Some((answered.get() - received.get()).whole_minutes())
        })
        .collect();
        minutes.sort_unstable();
        let median_first_response_minutes = (!minutes.is_empty()).then(|| minutes[minutes.len() / 2]);
        Ok(Dashboard {
            open_alerts,
            overdue,
            open_cases,
            median_first_response_minutes,
            loops_closed_7_days: self.loops_closed(now - Duration::days(7)).await?,
            loops_closed_30_days: self.loops_closed(now - Duration::days(30)).await?,
        })
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
        let start = self.backend.period_start(period);
        let sql = format!(
            "SELECT {start} AS start,
                CAST(COALESCE(SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END), 0) AS BIGINT) AS promoters,
                CAST(COALESCE(SUM(CASE WHEN score BETWEEN 7 AND 8 THEN 1 ELSE 0 END), 0) AS BIGINT) AS passives,
                CAST(COALESCE(SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS detractors,
                CAST(COUNT(*) AS BIGINT) AS count
             FROM cases WHERE kind = 'Feedback' AND score IS NOT NULL
               AND ($1 = '' OR product_model = $1) AND received >= $2 AND received < $3
             GROUP BY {start} ORDER BY 1"
        );
        let rows = sqlx::query(&sql)
            .bind(model.unwrap_or(""))
            .bind(from.unwrap_or("0000-01-01"))
            .bind(to.map(|t| format!("{t}T99")).unwrap_or_else(|| "9999-12-31".into()))
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let (promoters, detractors, count): (i64, i64, i64) =
                    (r.try_get("promoters")?, r.try_get("detractors")?, r.try_get("count")?);
                Ok(NpsPoint {
                    start: r.try_get("start")?,
                    promoters,
                    passives: r.try_get("passives")?,
                    detractors,
                    count,
                    score: ((promoters - detractors) as f64 * 1000.0 / count.max(1) as f64).round() / 10.0,
                })
            })
            .collect()
    }

    /// The product models feedback was given about, for the NPS filter.
    pub async fn product_models(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT DISTINCT product_model FROM cases WHERE product_model IS NOT NULL ORDER BY product_model LIMIT 500",
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
        let mut tx = self.pool().begin().await?;
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
