//! What arrived, told the way a person reads a notification: who answered what ("Acme
//! Kettles replied about Kettle K2"), not how many messages a sync stored.

use parley_agent::inbox::InboxMessage;
use parley_protocol::MessageType;
use serde::Serialize;

/// One arrival, as a notification and the app's own notice show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Arrival {
    /// The inbox message, which the app opens when the notice is clicked.
    pub id: String,
    /// Who sent what about which record.
    pub title: String,
    /// A line of what it says.
    pub body: String,
}

/// More arrivals than this at once are told as one summary.
const AT_MOST: usize = 3;

fn text(m: &InboxMessage, key: &str) -> String {
    m.body.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned()
}

/// At most `max` characters, cut at a word and marked.
fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

/// The notification for one message a vendor sent.
pub fn arrival(m: &InboxMessage) -> Arrival {
    let about = m.about.as_ref().map(|a| a.title.as_str());
    let vendor = &m.vendor;
    let (title, body) = match m.message_type {
        MessageType::Reply => (
            match about {
                Some(a) => format!("{vendor} replied about {a}"),
                None => format!("{vendor} replied"),
            },
            short(&text(m, "text"), 140),
        ),
        MessageType::Offer => {
            let price = m.body.get("price").map(|p| {
                format!(
                    "{} {}",
                    p.get("amount").and_then(|a| a.as_str()).unwrap_or(""),
                    p.get("currency").and_then(|c| c.as_str()).unwrap_or("")
                )
            });
            (
                match about {
                    Some(a) => format!("{vendor} made an offer for {a}"),
                    None => format!("{vendor} made an offer"),
                },
                short(&[price.unwrap_or_default(), text(m, "text")].join(" · "), 140),
            )
        }
        MessageType::Order => {
            let status = match text(m, "status").as_str() {
                "confirmed" => "is confirmed",
                "shipped" => "is on its way",
                "delivered" => "was delivered",
                "cancelled" => "was cancelled",
                "refunded" => "was refunded",
                other => {
                    return Arrival {
                        id: m.id.to_string(),
                        title: format!("{vendor}: order {other}"),
                        body: String::new(),
                    }
                }
            };
            (
                match about {
                    Some(a) => format!("Your order of {a} {status}"),
                    None => format!("Your order from {vendor} {status}"),
                },
                format!("{vendor} · order {}", text(m, "order")),
            )
        }
        _ => (format!("{vendor} sent you a message"), String::new()),
    };
    Arrival { id: m.id.to_string(), title, body }
}

/// What to tell for the messages that just arrived (newest first): each on its own, or
/// one summary naming the vendors when there are many.
pub fn notifications(arrived: &[InboxMessage]) -> Vec<Arrival> {
    if arrived.len() <= AT_MOST {
        return arrived.iter().map(arrival).collect();
    }
    let mut vendors: Vec<&str> = arrived.iter().map(|m| m.vendor.as_str()).collect();
    vendors.sort_unstable();
    vendors.dedup();
    vec![Arrival {
        id: arrived[0].id.to_string(),
        title: format!("{} new messages in your Inbox", arrived.len()),
        body: format!("From {}", vendors.join(", ")),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use parley_agent::inbox::InboxAbout;
    use serde_json::json;

    fn message(kind: MessageType, body: serde_json::Value, about: Option<&str>) -> InboxMessage {
        InboxMessage {
            id: parley_agent::ids::MessageUuid::parse("0b5c1a8e-6c1e-4f0e-9a53-2b1d8f1e7a10").unwrap(),
            vendor_id: serde_json::from_value(json!("v1")).unwrap(),
            vendor: "Acme Kettles".into(),
            message_type: kind,
            thread: None,
            in_reply_to: None,
            intent: None,
            state: parley_agent::inbox::InboxState::New,
            body,
            message: json!({}),
            created: "2026-12-03T10:00:00Z".into(),
            received: "2026-12-03T10:00:01Z".into(),
            read: None,
            about: about.map(|t| InboxAbout { kind: "feedback".into(), id: "f1".into(), title: t.into() }),
        }
    }

    #[test]
    fn says_who_answered_what() {
        let reply =
            message(MessageType::Reply, json!({"text": "Thank you, we will look at it"}), Some("Kettle K2"));
        assert_eq!(arrival(&reply).title, "Acme Kettles replied about Kettle K2");
        assert_eq!(arrival(&reply).body, "Thank you, we will look at it");
        let offer = message(
            MessageType::Offer,
            json!({"price": {"amount": "799.00", "currency": "EUR"}, "text": "In stock"}),
            Some("Espresso machine"),
        );
        assert_eq!(arrival(&offer).title, "Acme Kettles made an offer for Espresso machine");
        assert_eq!(arrival(&offer).body, "799.00 EUR · In stock");
        let order = message(
            MessageType::Order,
            json!({"status": "shipped", "order": "A-1"}),
            Some("Espresso machine"),
        );
        assert_eq!(arrival(&order).title, "Your order of Espresso machine is on its way");
        let orphan = message(MessageType::Reply, json!({"text": "x".repeat(400)}), None);
        assert_eq!(arrival(&orphan).title, "Acme Kettles replied");
        assert!(arrival(&orphan).body.chars().count() <= 141);
    }

    #[test]
    fn many_at_once_are_one_summary() {
        let all: Vec<_> = (0..5).map(|_| message(MessageType::Reply, json!({"text": "ok"}), None)).collect();
        let told = notifications(&all);
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].title, "5 new messages in your Inbox");
        assert_eq!(told[0].body, "From Acme Kettles");
        assert_eq!(notifications(&all[..2]).len(), 2);
    }
}
