//! The console over HTTP: roles on every write route, CSRF, sessions, throttled
//! sign-in, cases and alerts to a closed loop, NPS over time, revocation leaving a stub,
//! and sessions shared by two instances on one PostgreSQL.

use parley_protocol::{
    AgreementId, Body, Category, Feedback, FeedbackSubject, InboxQuery, ProductDetails, Purpose,
};
use parley_vendor::store::staff::Role;
use serde_json::{json, Value};

use crate::common::{Db, Person, TestVendor};

crate::on_both_stores!(
    each_write_route_takes_its_role_and_the_csrf_token,
    sessions_end_when_idle_signed_out_or_disabled,
    wrong_password_is_said_and_repeated_failures_wait,
    a_detractor_raises_an_alert_and_the_loop_closes_when_the_reply_is_pulled,
    revocation_leaves_a_stub_with_no_copy_of_the_text,
    nps_is_counted_per_period_and_product,
    cases_filter_and_page_by_keyset,
    bad_requests_say_what_was_wrong
);

pub(crate) const PASSWORD: &str = "a long staff password";

/// A member of staff signed in to one vendor's console.
pub(crate) struct Console {
    base: String,
    http: reqwest::Client,
    cookie: String,
    csrf: String,
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Posts the sign-in form; the status and the session cookie, if one was set.
async fn sign_in_form(v: &TestVendor, email: &str, password: &str) -> (u16, Option<String>, String) {
    let r = client()
        .post(format!("{}/console/login", v.url))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .map(str::to_owned);
    (status, cookie, r.text().await.unwrap())
}

impl Console {
    pub(crate) async fn sign_in(v: &TestVendor, email: &str) -> Self {
        let (status, cookie, _) = sign_in_form(v, email, PASSWORD).await;
        assert_eq!(status, 303, "signed in and sent to the dashboard");
        let mut c = Self {
            base: v.url.clone(),
            http: client(),
            cookie: cookie.expect("a session cookie"),
            csrf: String::new(),
        };
        let (status, me) = c.get("/console/api/me").await;
        assert_eq!(status, 200, "{me}");
        c.csrf = me["csrfToken"].as_str().unwrap().to_owned();
        c
    }

    /// `req` with this session's cookie and CSRF token.
    pub(crate) fn authorise(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.header("cookie", &self.cookie).header("x-csrf-token", &self.csrf)
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn page(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// A JSON write, with the CSRF token when `csrf`.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
        csrf: bool,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .json(&body);
        if csrf {
            req = req.header("x-csrf-token", &self.csrf);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A page's form post, the CSRF token in the query as the console's forms carry it.
    pub(crate) async fn form(&self, path: &str, fields: &[(&str, &str)], csrf: bool) -> u16 {
        let url = if csrf {
            format!("{}{path}?csrf={}", self.base, self.csrf)
        } else {
            format!("{}{path}", self.base)
        };
        self.http
            .post(url)
            .header("cookie", &self.cookie)
            .form(fields)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

pub(crate) async fn staff(v: &TestVendor, email: &str, role: Role) {
    v.store().add_staff(email, role, PASSWORD).await.unwrap();
}

/// A person with a consent for support, feedback and intents, and their messages.
pub(crate) async fn person(
    v: &TestVendor,
) -> (Person, parley_protocol::ConsentId, parley_protocol::ConsentId) {
    let p = Person::new(v);
    let service =
        p.agreed(v, AgreementId::SdBase, Purpose::Service, &[Category::Support, Category::Feedback]).await;
    let quote = p.agreed(v, AgreementId::PdcIntent, Purpose::Quote, &[Category::Intent]).await;
    (p, service, quote)
}

async fn each_write_route_takes_its_role_and_the_csrf_token(db: Db) {
    let v = TestVendor::start(db).await;
    for (email, role) in [
        ("admin@acme.example", Role::Admin),
        ("agent@acme.example", Role::Agent),
        ("viewer@acme.example", Role::Viewer),
    ] {
        staff(&v, email, role).await;
    }
    let (p, service, quote) = person(&v).await;
    let support = p.support(service, "The lid leaks");
    let intent = p.intent(quote, "an espresso machine");
    assert_eq!(v.post(&support).await.0, 200);
    assert_eq!(v.post(&intent).await.0, 200);
    let (case, offer_case) = (support.id.to_string(), intent.id.to_string());

    let consoles = [
        (Role::Admin, Console::sign_in(&v, "admin@acme.example").await),
        (Role::Agent, Console::sign_in(&v, "agent@acme.example").await),
        (Role::Viewer, Console::sign_in(&v, "viewer@acme.example").await),
    ];
    use reqwest::Method;
    let n = std::sync::atomic::AtomicUsize::new(0);
    let fresh = || format!("new{}@acme.example", n.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    for (role, c) in &consoles {
        // JSON routes: (method, path, body, the least role that may).
        let new_staff = fresh();
        staff(&v, &format!("x-{new_staff}"), Role::Viewer).await;
        // Integrations to change, made afresh for each role.
        let (token, _) = v.store().add_token(&format!("t-{new_staff}"), Role::Viewer).await.unwrap();
        let events = [parley_vendor::store::webhooks::EventType::ConsentAgreed];
        let (hook, _) = v.store().add_webhook("receiver", "http://127.0.0.1:9/hook", &events).await.unwrap();
        let (gone, _) = v.store().add_webhook("gone", "http://127.0.0.1:9/gone", &events).await.unwrap();
        let grant = Person::new(&v);
        grant.agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Support]).await;
        let delivery = v.store().deliveries(&hook.id, 1).await.unwrap().remove(0).id;
        // An offer the person accepted, for its order updates.
        let price = parley_protocol::Money { amount: "10".into(), currency: "EUR".into() };
        let offered =
            parley_vendor::console::offer(v.store(), &v.endpoint.key, &offer_case, price, "Model Z", None)
                .await
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned();
        let take = parley_protocol::OfferAcceptance { offer: offered.parse().unwrap() };
        let mut take = p.message(parley_protocol::Body::OfferAcceptance(take), Some(quote));
        take.thread = Some(intent.id);
        assert_eq!(v.post(&p.sign(take)).await.0, 200);
        let api: Vec<(Method, String, Value, Role)> = vec![
            (
                Method::POST,
                format!("/console/api/cases/{offer_case}/order"),
                json!({"offer": offered, "status": "confirmed", "model": "Z"}),
                Role::Agent,
            ),
            (
                Method::POST,
                "/console/api/tokens".into(),
                json!({"name": format!("api-{new_staff}"), "role": "viewer"}),
                Role::Admin,
            ),
            (Method::DELETE, format!("/console/api/tokens/{}", token.name), Value::Null, Role::Admin),
            (
                Method::POST,
                "/console/api/webhooks".into(),
                json!({"url": "https://helpdesk.example/hook", "events": ["message.received"]}),
                Role::Admin,
            ),
            (Method::POST, format!("/console/api/webhooks/{}/enable", hook.id), Value::Null, Role::Admin),
            (
                Method::POST,
                format!("/console/api/webhooks/{}/deliveries/{delivery}/replay", hook.id),
                Value::Null,
                Role::Admin,
            ),
            (Method::DELETE, format!("/console/api/webhooks/{}", gone.id), Value::Null, Role::Admin),
            (Method::PATCH, format!("/console/api/cases/{case}"), json!({"priority": "high"}), Role::Agent),
            (
                Method::POST,
                format!("/console/api/cases/{case}/reply"),
                json!({"text": "Send it in"}),
                Role::Agent,
            ),
            (
                Method::POST,
                format!("/console/api/cases/{case}/notes"),
                json!({"text": "Called the courier"}),
                Role::Agent,
            ),
            (
                Method::POST,
                format!("/console/api/cases/{offer_case}/offer"),
                json!({"price": "289.00", "currency": "EUR", "text": "Model X"}),
                Role::Agent,
            ),
            (
                Method::POST,
                "/console/api/staff".into(),
                json!({"email": new_staff, "role": "viewer", "password": PASSWORD}),
                Role::Admin,
            ),
            (
                Method::POST,
                "/console/api/staff/disable".into(),
                json!({"email": format!("x-{new_staff}")}),
                Role::Admin,
            ),
            (
                Method::PUT,
                "/console/api/rules".into(),
                json!({"name": "Refunds", "kind": "SupportRequest", "scoreMin": null, "scoreMax": null, "keyword": "refund", "firstResponseHours": 4, "enabled": true}),
                Role::Admin,
            ),
            (
                Method::PUT,
                "/console/api/agreements".into(),
                json!({"agreements": ["SD-BASE", "SD-BASE-DP", "PDC-INTENT"]}),
                Role::Admin,
            ),
        ];
        for (method, path, body, least) in api {
            let (status, answer) = c.send(method.clone(), &path, body.clone(), false).await;
            // Without the token nothing gets through; a role that may not is told that first.
            let refused =
                if *role >= least { "urn:parley:problem:csrf" } else { "urn:parley:problem:forbidden" };
            assert_eq!(
                (status, answer["type"].as_str()),
                (403, Some(refused)),
                "{role:?} {method} {path} without CSRF: {answer}"
            );
            let (status, answer) = c.send(method.clone(), &path, body, true).await;
            if *role >= least {
                assert_eq!(status, 200, "{role:?} may {method} {path}: {answer}");
            } else {
                assert_eq!(
                    (status, answer["type"].as_str()),
                    (403, Some("urn:parley:problem:forbidden")),
                    "{role:?} may not {method} {path}: {answer}"
                );
            }
        }
        // The pages' form posts: the same roles, the same CSRF rule.
        let page_staff = fresh();
        staff(&v, &format!("y-{page_staff}"), Role::Viewer).await;
        let forms: Vec<RouteForm> = vec![
            (
                format!("/console/cases/{case}"),
                vec![("state", "open".into()), ("priority", "normal".into()), ("assignee", "".into())],
                Role::Agent,
            ),
            (format!("/console/cases/{case}/reply"), vec![("text", "On its way".into())], Role::Agent),
            (format!("/console/cases/{case}/notes"), vec![("text", "Noted".into())], Role::Agent),
            (
                format!("/console/cases/{offer_case}/order"),
                vec![("offer", offered.clone()), ("status", "shipped".into())],
                Role::Agent,
            ),
            (
                format!("/console/cases/{offer_case}/offer"),
                vec![("price", "279".into()), ("currency", "EUR".into()), ("text", "Model Y".into())],
                Role::Agent,
            ),
            (
                "/console/admin/staff".into(),
                vec![("email", page_staff.clone()), ("role", "viewer".into()), ("password", PASSWORD.into())],
                Role::Admin,
            ),
            ("/console/admin/staff/disable".into(), vec![("email", format!("y-{page_staff}"))], Role::Admin),
            (
                "/console/admin/rules".into(),
                vec![
                    ("name", "Angry words".into()),
                    ("keyword", "angry".into()),
                    ("first_response_hours", "2".into()),
                    ("enabled", "1".into()),
                ],
                Role::Admin,
            ),
            (
                "/console/admin/agreements".into(),
                vec![("agreements", "SD-BASE, SD-BASE-DP, PDC-INTENT".into())],
                Role::Admin,
            ),
            (
                "/console/admin/tokens".into(),
                vec![("name", format!("page-{page_staff}")), ("role", "agent".into())],
                Role::Admin,
            ),
            (
                "/console/admin/webhooks".into(),
                vec![
                    ("name", "Chat".into()),
                    ("url", "https://chat.example/hook".into()),
                    ("events", "alert.raised".into()),
                ],
                Role::Admin,
            ),
            (format!("/console/admin/webhooks/{}/disable", hook.id), vec![], Role::Admin),
            (format!("/console/admin/webhooks/{}/enable", hook.id), vec![], Role::Admin),
            (
                format!("/console/admin/webhooks/{}/deliveries/{delivery}/replay", hook.id),
                vec![],
                Role::Admin,
            ),
        ];
        for (path, fields, least) in forms {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(c.form(&path, &fields, false).await, 403, "{role:?} POST {path} without CSRF");
            let status = c.form(&path, &fields, true).await;
            if *role >= least {
                assert!(status == 303 || status == 200, "{role:?} may POST {path}: {status}");
            } else {
                assert_eq!(status, 403, "{role:?} may not POST {path}");
            }
        }
    }
    // Nobody signed in: the API says 401, the pages send to the sign-in page.
    let r = client().get(format!("{}/console/api/cases", v.url)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = client().get(format!("{}/console/cases", v.url)).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (303, "/console/login"));
    // A viewer's case page has no reply form.
    let (_, html) = consoles[2].1.page(&format!("/console/cases/{case}")).await;
    assert!(!html.contains("reply-form"), "a viewer is not offered the reply button");
    let (_, html) = consoles[1].1.page(&format!("/console/cases/{case}")).await;
    assert!(html.contains("reply-form"), "an agent is");
}

async fn sessions_end_when_idle_signed_out_or_disabled(db: Db) {
    let v = TestVendor::start(db).await;
    staff(&v, "ana@acme.example", Role::Agent).await;
    // A session idle longer than its limit ends (the endpoint's limit is 30 minutes;
    // the store's check is given two seconds here: times are stored to the second, so
    // a fresh session may already look up to a second old).
    let limits = parley_vendor::store::staff::SessionLimits {
        idle: time::Duration::seconds(2),
        absolute: time::Duration::hours(1),
    };
    let member = v.store().staff_member("ana@acme.example").await.unwrap();
    let (token, _) = v.store().open_session(&member).await.unwrap();
    assert!(v.store().session(&token, limits).await.unwrap().is_some());
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert!(v.store().session(&token, limits).await.unwrap().is_none(), "idle too long: ended");
    assert!(
        v.store().session(&token, Default::default()).await.unwrap().is_none(),
        "and gone from the store"
    );

    let c = Console::sign_in(&v, "ana@acme.example").await;
    assert_eq!(c.form("/console/logout", &[], true).await, 303);
    assert_eq!(c.get("/console/api/me").await.0, 401, "signed out");

    let c = Console::sign_in(&v, "ana@acme.example").await;
    v.store().disable_staff("ana@acme.example").await.unwrap();
    assert_eq!(c.get("/console/api/me").await.0, 401, "a disabled account's sessions end");
    assert_eq!(sign_in_form(&v, "ana@acme.example", PASSWORD).await.0, 401, "and it cannot sign in");
}

async fn wrong_password_is_said_and_repeated_failures_wait(db: Db) {
    let v = TestVendor::start(db).await;
    staff(&v, "ana@acme.example", Role::Admin).await;
    for _ in 0..5 {
        let (status, cookie, page) = sign_in_form(&v, "ana@acme.example", "not the password").await;
        assert_eq!((status, cookie), (401, None));
        assert!(page.contains("Wrong email or password"), "says so");
    }
    let (status, cookie, page) = sign_in_form(&v, "ana@acme.example", PASSWORD).await;
    assert_eq!((status, cookie), (429, None), "throttled, even with the right password");
    assert!(page.contains("try again in 15 minutes"), "{page}");
    staff(&v, "ben@acme.example", Role::Viewer).await;
    assert_eq!(sign_in_form(&v, "ben@acme.example", PASSWORD).await.0, 429, "per address too");
}

async fn a_detractor_raises_an_alert_and_the_loop_closes_when_the_reply_is_pulled(db: Db) {
    let v = TestVendor::start(db).await;
    staff(&v, "ana@acme.example", Role::Admin).await;
    staff(&v, "ben@acme.example", Role::Agent).await;
    let (p, service, _) = person(&v).await;
    let feedback = p.feedback(service, 2, "Rude on the phone");
    assert_eq!(v.post(&feedback).await.0, 200);
    let promoter = p.feedback(service, 10, "Lovely");
    assert_eq!(v.post(&promoter).await.0, 200);

    let admin = Console::sign_in(&v, "ana@acme.example").await;
    let (_, alerts) = admin.get("/console/api/alerts").await;
    let open = alerts["openAlerts"].as_array().unwrap();
    assert_eq!(open.len(), 1, "only the detractor raises an alert: {alerts}");
    assert_eq!(open[0]["rule"], "Detractor (feedback 0–6)");
    let case = open[0]["caseId"].as_str().unwrap().to_owned();
    assert!(open[0]["due"].as_str().is_some(), "with a first-response deadline");
    let (status, _) = admin
        .send(
            reqwest::Method::PATCH,
            &format!("/console/api/cases/{case}"),
            json!({"assignee": "ben@acme.example"}),
            true,
        )
        .await;
    assert_eq!(status, 200);

    let agent = Console::sign_in(&v, "ben@acme.example").await;
    let (status, sent) = agent
        .send(
            reqwest::Method::POST,
            &format!("/console/api/cases/{case}/reply"),
            json!({"text": "We are sorry; a manager will call"}),
            true,
        )
        .await;
    assert_eq!(status, 200, "{sent}");
    let (_, detail) = agent.get(&format!("/console/api/cases/{case}")).await;
    assert_eq!(detail["state"], "waiting", "answered: waiting on the person");
    assert_eq!(detail["assignee"], "ben@acme.example");
    let reply = detail["thread"].as_array().unwrap().iter().find(|m| m["from"] == "vendor").unwrap().clone();
    assert_eq!(reply["author"], "ben@acme.example");
    assert!(reply["pulled"].is_null(), "not pulled yet");
    assert_eq!(
        admin.get("/console/api/alerts").await.1["openAlerts"].as_array().unwrap().len(),
        0,
        "answered: no longer open"
    );

    let q = p.sign(p.message(Body::InboxQuery(InboxQuery { since: None }), None));
    let (status, inbox) = v.post_raw("/parley/v1/inbox", q.canonical().as_bytes().to_vec()).await;
    assert_eq!((status, inbox["messages"].as_array().unwrap().len()), (200, 1));
    let (_, detail) = agent.get(&format!("/console/api/cases/{case}")).await;
    let reply = detail["thread"].as_array().unwrap().iter().find(|m| m["from"] == "vendor").unwrap().clone();
    assert!(reply["pulled"].is_string(), "the case shows the reply pulled: {reply}");
    let (_, dashboard) = admin.get("/console/api/alerts").await;
    assert_eq!(dashboard["loopsClosed7Days"], 1.0, "the detractor's loop is closed: {dashboard}");
    assert!(dashboard["medianFirstResponseMinutes"].is_i64());
}

async fn revocation_leaves_a_stub_with_no_copy_of_the_text(db: Db) {
    let v = TestVendor::start(db).await;
    staff(&v, "ana@acme.example", Role::Agent).await;
    let (p, service, _) = person(&v).await;
    const MARKER: &str = "MY-NEIGHBOUR-FLOODED-7a1";
    let support = p.support(service, &format!("{MARKER} after your repair"));
    assert_eq!(v.post(&support).await.0, 200);
    let case = support.id.to_string();
    let c = Console::sign_in(&v, "ana@acme.example").await;
    let (status, _) = c
        .send(
            reqwest::Method::POST,
            &format!("/console/api/cases/{case}/notes"),
            json!({"text": format!("Quote: {MARKER}")}),
            true,
        )
        .await;
    assert_eq!(status, 200);
    let (_, listed) = c.get("/console/api/cases?q=flooded").await;
    assert_eq!(listed["cases"].as_array().unwrap().len(), 1, "found by text search");

    let revoke = p.sign(p.message(Body::ConsentRevocation(Default::default()), Some(service)));
    assert_eq!(v.post(&revoke).await.0, 200);
    let (status, detail) = c.get(&format!("/console/api/cases/{case}")).await;
    assert_eq!(status, 200);
    assert_eq!(detail["state"], "deleted");
    assert_eq!(detail["deletedBy"], revoke.id.to_string(), "the stub names the revocation");
    assert!(!detail.to_string().contains(MARKER), "no text, no note, no thread: {detail}");
    assert!(
        detail["thread"].as_array().unwrap().is_empty() && detail["notes"].as_array().unwrap().is_empty()
    );
    let (_, listed) = c.get("/console/api/cases?q=flooded").await;
    assert!(listed["cases"].as_array().unwrap().is_empty(), "nor in the search");
    let (_, page) = c.page(&format!("/console/cases/{case}")).await;
    assert!(
        page.contains("deleted-stub") && !page.contains(MARKER),
        "the page says it was deleted at the person's request"
    );
    if let Db::Sqlite = db {
        for file in ["vendor.db", "vendor.db-wal"] {
            let bytes = std::fs::read(v.dir().join(file)).unwrap_or_default();
            assert!(!bytes.windows(MARKER.len()).any(|w| w == MARKER.as_bytes()), "no copy in {file}");
        }
    }
}

async fn nps_is_counted_per_period_and_product(db: Db) {
    let v = TestVendor::start(db).await;
    staff(&v, "ana@acme.example", Role::Viewer).await;
    let (p, service, _) = person(&v).await;
    for score in [10, 9, 7, 3] {
        assert_eq!(v.post(&p.feedback(service, score, "so so")).await.0, 200);
    }
    let c = Console::sign_in(&v, "ana@acme.example").await;
    let (status, nps) = c.get("/console/api/nps?period=week").await;
    assert_eq!(status, 200, "{nps}");
    let points = nps["points"].as_array().unwrap();
    assert_eq!(points.len(), 1, "one week: {nps}");
    assert_eq!(
        (points[0]["promoters"].as_i64(), points[0]["passives"].as_i64(), points[0]["detractors"].as_i64()),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(points[0]["score"], 25.0, "2 promoters − 1 detractor of 4");
    let (_, month) = c.get("/console/api/nps?period=month&product=K9").await;
    assert!(month["points"].as_array().unwrap().is_empty(), "no feedback about that model");
    let (status, page) = c.page("/console/nps").await;
    assert!(
        status == 200 && page.contains("nps-chart") && page.contains("NPS 25 from 4 responses"),
        "the chart shows the scores"
    );
    let r =
        client().get(format!("{}/console/nps.csv", v.url)).header("cookie", &c.cookie).send().await.unwrap();
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("start,nps,responses") && csv.contains(",25,4,2,1,1"), "{csv}");

    // Another person's detractor score about a model counts towards it, until they revoke.
    let other = Person::new(&v);
    let other_service = other
        .agreed(&v, AgreementId::SdBase, Purpose::Service, &[Category::Feedback, Category::Product])
        .await;
    let about_k9 = other.message(
        Body::Feedback(Feedback {
            about: FeedbackSubject::Vendor,
            score: 2,
            text: Some("the lid cracked".into()),
            suggestions: vec![],
            product: Some(ProductDetails {
                name: "Kettle".into(),
                model: Some("K9".into()),
                ..Default::default()
            }),
            contact: None,
        }),
        Some(other_service),
    );
    assert_eq!(v.post(&other.sign(about_k9)).await.0, 200);
    let (_, k9) = c.get("/console/api/nps?period=week&product=K9").await;
    assert_eq!(
        (k9["points"][0]["detractors"].as_i64(), k9["points"][0]["count"].as_i64()),
        (Some(1), Some(1)),
        "{k9}"
    );
    let (_, all) = c.get("/console/api/nps?period=week").await;
    assert_eq!(all["points"][0]["count"], 5, "{all}");
    let revoke = other.sign(other.message(Body::ConsentRevocation(Default::default()), Some(other_service)));
    assert_eq!(v.post(&revoke).await.0, 200);
    let (_, k9) = c.get("/console/api/nps?period=week&product=K9").await;
    assert!(k9["points"].as_array().unwrap().is_empty(), "the revoked score is gone: {k9}");
    let (_, all) = c.get("/console/api/nps?period=week").await;
    assert_eq!(
        (all["points"][0]["count"].as_i64(), all["points"][0]["score"].as_f64()),
        (Some(4), Some(25.0)),
        "{all}"
    );
    let (_, page) = c.page("/console/nps").await;
    assert!(!page.contains("K9"), "nor offered as a model to filter by");

    let (status, bad) = c.get("/console/api/nps?period=decade").await;
    assert_eq!((status, bad["type"].as_str()), (422, Some("urn:parley:problem:invalid-request")));
}

async fn cases_filter_and_page_by_keyset(db: Db) {
    let v = TestVendor::start(db).await;
    staff(&v, "ana@acme.example", Role::Viewer).await;
    let (p, service, quote) = person(&v).await;
    for score in [1, 5, 9] {
        assert_eq!(v.post(&p.feedback(service, score, "x")).await.0, 200);
    }
    assert_eq!(v.post(&p.support(service, "help")).await.0, 200);
    assert_eq!(v.post(&p.intent(quote, "a bike")).await.0, 200);
    let c = Console::sign_in(&v, "ana@acme.example").await;
    let count = |v: &Value| v["cases"].as_array().unwrap().len();
    assert_eq!(count(&c.get("/console/api/cases").await.1), 5);
    assert_eq!(count(&c.get("/console/api/cases?kind=Feedback").await.1), 3);
    assert_eq!(count(&c.get("/console/api/cases?band=detractor").await.1), 2);
    assert_eq!(count(&c.get("/console/api/cases?kind=Intent&q=bike").await.1), 1);
    assert_eq!(count(&c.get("/console/api/cases?overdue=1").await.1), 0, "nothing is overdue yet");
    let (_, first) = c.get("/console/api/cases?limit=2").await;
    let (_, second) =
        c.get(&format!("/console/api/cases?limit=2&after={}", first["next"].as_str().unwrap())).await;
    let (_, third) =
        c.get(&format!("/console/api/cases?limit=2&after={}", second["next"].as_str().unwrap())).await;
    let ids: std::collections::BTreeSet<String> = [&first, &second, &third]
        .iter()
        .flat_map(|p| p["cases"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(ids.len(), 5, "three pages, every case once");
    assert!(third["next"].is_null(), "and no fourth");
}

/// A write route, its form fields and the least role it takes.
type RouteForm<'a> = (String, Vec<(&'a str, String)>, Role);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_share_sessions_and_cases() {
    let one = TestVendor::start(Db::Postgres).await;
    let two = one.another_instance().await;
    staff(&one, "ana@acme.example", Role::Agent).await;
    let (p, service, _) = person(&one).await;
    let support = p.support(service, "Broken hinge");
    assert_eq!(two.post(&support).await.0, 200, "received by the second instance");
    let c = Console::sign_in(&one, "ana@acme.example").await;
    let other =
        Console { base: two.url.clone(), http: client(), cookie: c.cookie.clone(), csrf: c.csrf.clone() };
    let (status, me) = other.get("/console/api/me").await;
    assert_eq!((status, me["email"].as_str()), (200, Some("ana@acme.example")), "the session is the store's");
    let (status, _) = other
        .send(
            reqwest::Method::POST,
            &format!("/console/api/cases/{}/reply", support.id),
            json!({"text": "Fixed"}),
            true,
        )
        .await;
    assert_eq!(status, 200, "and so is the case");
    assert_eq!(c.get(&format!("/console/api/cases/{}", support.id)).await.1["state"], "waiting");
}

async fn bad_requests_say_what_was_wrong(db: Db) {
    let v = TestVendor::start(db).await;
    staff(&v, "ana@acme.example", Role::Agent).await;
    let (p, service, _) = person(&v).await;
    let support = p.support(service, "The lid leaks");
    assert_eq!(v.post(&support).await.0, 200);
    let case = support.id.to_string();
    let c = Console::sign_in(&v, "ana@acme.example").await;
    use reqwest::Method;
    let invalid = Some("urn:parley:problem:invalid-request");
    for (method, path, body, status, kind, says) in [
        (
            Method::POST,
            format!("/console/api/cases/{case}/offer"),
            json!({"price": "10.00", "currency": "EUR", "text": "x"}),
            422,
            invalid,
            "not an Intent",
        ),
        (
            Method::POST,
            format!("/console/api/cases/{case}/reply"),
            json!({"text": "  "}),
            422,
            invalid,
            "says something",
        ),
        (
            Method::POST,
            format!("/console/api/cases/{case}/reply"),
            json!({"text": "x", "cc": "all"}),
            422,
            invalid,
            "unknown field",
        ),
        (
            Method::PATCH,
            format!("/console/api/cases/{case}"),
            json!({"state": "lost"}),
            422,
            invalid,
            "state",
        ),
        (
            Method::PATCH,
            format!("/console/api/cases/{case}"),
            json!({"assignee": "nobody@acme.example"}),
            422,
            invalid,
            "nobody@acme.example",
        ),
        (
            Method::PATCH,
            "/console/api/cases/urn:uuid:00000000-0000-4000-8000-000000000000".into(),
            json!({"priority": "high"}),
            404,
            Some("urn:parley:problem:not-found"),
            "no case",
        ),
    ] {
        let (got, answer) = c.send(method.clone(), &path, body, true).await;
        assert_eq!((got, answer["type"].as_str()), (status, kind), "{method} {path}: {answer}");
        assert!(
            answer["detail"].as_str().unwrap_or("").contains(says),
            "{method} {path} says what was wrong: {answer}"
        );
    }
    for (query, says) in
        [("band=grumpy", "band"), ("state=lost", "state"), ("after=urn:uuid:nope", "no case")]
    {
        let (got, answer) = c.get(&format!("/console/api/cases?{query}")).await;
        assert_eq!((got, answer["type"].as_str()), (422, invalid), "{query}: {answer}");
        assert!(answer["detail"].as_str().unwrap_or("").contains(says), "{query}: {answer}");
    }
    let (got, answer) = c.get("/console/api/nps?from=last-tuesday").await;
    assert_eq!((got, answer["type"].as_str()), (422, invalid), "{answer}");
}

/// Every route of the console's API is in the OpenAPI document, writes with the CSRF
/// token among their credentials.
#[tokio::test]
async fn the_api_is_in_the_openapi_document() {
    let v = TestVendor::start(Db::Sqlite).await;
    let doc: Value =
        client().get(format!("{}/parley/v1/openapi.json", v.url)).send().await.unwrap().json().await.unwrap();
    let routes = [
        ("post", "/console/login"),
        ("post", "/console/logout"),
        ("get", "/console/api/me"),
        ("get", "/console/api/cases"),
        ("get", "/console/api/cases/{id}"),
        ("patch", "/console/api/cases/{id}"),
        ("post", "/console/api/cases/{id}/reply"),
        ("post", "/console/api/cases/{id}/offer"),
        ("post", "/console/api/cases/{id}/notes"),
        ("get", "/console/api/alerts"),
        ("get", "/console/api/nps"),
        ("get", "/console/api/staff"),
        ("post", "/console/api/staff"),
        ("post", "/console/api/staff/disable"),
        ("get", "/console/api/rules"),
        ("put", "/console/api/rules"),
        ("get", "/console/api/agreements"),
        ("put", "/console/api/agreements"),
        ("get", "/console/api/webhooks"),
        ("post", "/console/api/webhooks"),
        ("delete", "/console/api/webhooks/{id}"),
        ("post", "/console/api/webhooks/{id}/enable"),
        ("get", "/console/api/webhooks/{id}/deliveries"),
        ("post", "/console/api/webhooks/{id}/deliveries/{delivery}/replay"),
        ("post", "/console/api/cases/{id}/order"),
        ("get", "/console/api/tokens"),
        ("post", "/console/api/tokens"),
        ("delete", "/console/api/tokens/{name}"),
    ];
    for (method, path) in routes {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is documented");
        if method != "get" && path != "/console/login" {
            assert!(
                op["security"].to_string().contains("csrf"),
                "{method} {path} needs the CSRF token: {op}"
            );
            assert!(op["responses"]["403"].is_object(), "{method} {path} documents its 403");
        }
    }
    let documented = doc["paths"].as_object().unwrap().keys().filter(|p| p.starts_with("/console/")).count();
    let listed: std::collections::BTreeSet<_> = routes.iter().map(|(_, p)| *p).collect();
    assert_eq!(documented, listed.len(), "no console path documented that this list lacks");
    assert_eq!(doc["components"]["securitySchemes"]["session"]["name"], "parley_session");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(doc["paths"]["/parley/v1/access-log"]["post"].is_object());
}
