// Small pure functions the screens share: how things read to a person.
import type { JsonValue, Money, Warranty, OutboxItem } from "./bindings";

export function money(m: Money | null | undefined): string {
  return m ? `${m.amount} ${m.currency}` : "";
}

/** "Active (412 days left)", "Ends in 12 days", "Ended 3 days ago", "No warranty date". */
export function warrantyLabel(w: Warranty): string {
  const d = w.daysLeft;
  switch (w.status) {
    case "active":
      return `Active (${d} days left)`;
    case "endingSoon":
      return d === 0 ? "Ends today" : `Ends in ${d} day${d === 1 ? "" : "s"}`;
    case "ended":
      return `Ended ${-(d ?? 0)} day${d === -1 ? "" : "s"} ago`;
    default:
      return "No warranty date";
  }
}

/** NPS group of a 0–10 "how likely are you to recommend" score. */
export function npsGroup(score: number): "detractor" | "passive" | "promoter" {
  if (score >= 9) return "promoter";
  if (score >= 7) return "passive";
  return "detractor";
}

/** One line about where an outgoing message is. */
export function deliveryLabel(item: OutboxItem): string {
  switch (item.state) {
    case "delivered":
      return `Delivered to ${item.vendor} (receipt verified)`;
    case "queued":
      return item.lastError ? `Queued for ${item.vendor}: ${item.lastError}` : `Queued for ${item.vendor}`;
    case "rejected":
      return `Refused by ${item.vendor}: ${item.lastError ?? ""}`;
    default:
      return `Cancelled: ${item.lastError ?? ""}`;
  }
}

/** A date-time as people read it, in their time zone. */
export function when(rfc3339: string | null | undefined): string {
  if (!rfc3339) return "";
  const d = new Date(rfc3339);
  return isNaN(d.getTime()) ? rfc3339 : d.toLocaleString();
}

/** Purposes and categories of consent, in plain words. */
export const PURPOSES = {
  service: "help with something I own",
  quote: "answer what I want to buy with offers",
  improvement: "learn from my feedback",
} as const;

export const CATEGORIES = {
  intent: "what I want to buy",
  feedback: "my opinions and scores",
  support: "my requests for help",
  product: "details of the product concerned (model, serial, purchase)",
  contact: "a way to reach me that I chose to add",
} as const;

export const AGREEMENTS = {
  "SD-BASE": "Service delivery only: no analytics, tracking, profiling or sharing with third parties",
  "SD-BASE-DP": "Service delivery only, and my data returned to me on request",
  "PDC-INTENT": "A contribution of my intent, to receive offers",
  "PDC-AI": "A contribution of my data for AI training",
  "PDC-GOOD": "A contribution of my data for the common good",
} as const;

/** A text field inside signed JSON (`field(body, "price", "amount")`), or "". */
export function field(value: JsonValue | undefined, ...path: string[]): string {
  let v: JsonValue | undefined = value;
  for (const key of path) {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return "";
    v = (v as { [key in string]?: JsonValue })[key];
  }
  return typeof v === "string" || typeof v === "number" ? String(v) : "";
}

/** The agreement a consent gets when the person does not choose one (as the agent does). */
export function defaultAgreement(purpose: keyof typeof PURPOSES): keyof typeof AGREEMENTS {
  return purpose === "quote" ? "PDC-INTENT" : "SD-BASE";
}

/** What each kind of message is, as a person would name it. */
export const MESSAGE_WORDS: Record<string, string> = {
  ConsentGrant: "Your consent",
  ConsentRevocation: "Your consent withdrawn",
  Intent: "What you want to buy",
  Feedback: "Your feedback",
  SupportRequest: "Your request for help",
  InboxQuery: "A check for answers",
  OfferAcceptance: "You accepted an offer",
  IntentWithdrawal: "You no longer want offers",
  AccessLogQuery: "A check of who read your messages",
  Receipt: "Receipt",
  ConsentAgreement: "Agreement",
  DeletionReceipt: "Deletion receipt",
  Offer: "Offer",
  Reply: "Reply",
  AccessLog: "Who read your messages",
  Order: "Order update",
};

type Obj = { [key in string]?: JsonValue };
const obj = (v: JsonValue | undefined): Obj =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
const list = (v: JsonValue | undefined): string[] => (Array.isArray(v) ? v.map(String) : []);

function productWords(p: Obj): string {
  const parts = [
    String(p.name ?? ""),
    p.model ? `model ${p.model}` : "",
    p.serial ? `serial ${p.serial}` : "",
    p.purchased ? `bought ${p.purchased}` : "",
    p.price ? `for ${money(obj(p.price) as unknown as Money)}` : "",
    p.warrantyUntil ? `warranty until ${p.warrantyUntil}` : "",
  ];
  return parts.filter(Boolean).join(", ");
}

/** A message's content field by field, in words: what the vendor receives. */
export function bodyInWords(type: string, body: JsonValue | undefined): [string, string][] {
  const b = obj(body);
  const rows: [string, string | undefined | false][] = [];
  switch (type) {
    case "Feedback":
      rows.push(
        ["Your score", `${b.score} out of 10`],
        ["What you think", b.text ? String(b.text) : undefined],
        ["Suggestions", list(b.suggestions).join("; ") || undefined],
        ["The product", b.product ? productWords(obj(b.product)) : undefined],
      );
      break;
    case "SupportRequest":
      rows.push(
        ["What you ask for", b.kind === "warranty-claim" ? "A repair or replacement under warranty"
          : b.kind === "return-request" ? "A return, for your money back" : "Help"],
        ["Subject", String(b.subject ?? "")],
        ["What is wrong", String(b.text ?? "")],
        ["The product", b.product ? productWords(obj(b.product)) : undefined],
        ["Proof of purchase", b.purchase ? `Order ${obj(b.purchase).order}, signed by the vendor` : undefined],
      );
      break;
    case "Intent":
      rows.push(
        ["What you want", String(b.what ?? "")],
        ["Budget", b.budget ? money(obj(b.budget) as unknown as Money) : undefined],
        ["Needed by", b.by ? String(b.by) : undefined],
        ["Conditions", list(b.constraints).join("; ") || undefined],
      );
      break;
    case "ConsentGrant":
      rows.push(
        ["For", PURPOSES[b.purpose as keyof typeof PURPOSES] ?? String(b.purpose)],
        ["May receive", list(b.categories).map((c) => CATEGORIES[c as keyof typeof CATEGORIES] ?? c).join("; ")],
        ["Kept at most", `${b.retentionDays} days`],
      );
      break;
    case "ConsentRevocation":
      rows.push(["Reason", b.reason ? String(b.reason) : "None given"]);
      break;
    case "Reply":
      rows.push(["Text", String(b.text ?? "")]);
      break;
    case "Offer":
      rows.push(["Price", money(obj(b.price) as unknown as Money)], ["Text", String(b.text ?? "")],
        ["Valid until", b.validUntil ? String(b.validUntil) : undefined]);
      break;
    case "Order":
      rows.push(["Order", String(b.order ?? "")], ["Status", String(b.status ?? "")]);
      break;
  }
  return rows.filter((r): r is [string, string] => typeof r[1] === "string" && r[1] !== "");
}

/** One line of what a message said, for lists. */
export function summaryInWords(type: string, body: JsonValue | undefined): string {
  return bodyInWords(type, body).map(([k, v]) => `${k}: ${v}`).join(" · ");
}

/** Who sent what about which of the person's records: "Acme Kettles replied about Kettle K2". */
export function headline(m: { vendor: string; type: string; body: JsonValue; about: { title: string } | null }): string {
  const about = m.about?.title;
  switch (m.type) {
    case "Reply":
      return about ? `${m.vendor} replied about ${about}` : `${m.vendor} replied`;
    case "Offer":
      return about ? `${m.vendor} made an offer for ${about}` : `${m.vendor} made an offer`;
    case "Order": {
      const status = ORDER_WORDS[field(m.body, "status")] ?? field(m.body, "status");
      return about ? `Your order of ${about} ${status}` : `Your order from ${m.vendor} ${status}`;
    }
    default:
      return `${m.vendor} sent you a message`;
  }
}

const ORDER_WORDS: Record<string, string> = {
  confirmed: "is confirmed",
  shipped: "is on its way",
  delivered: "was delivered",
  cancelled: "was cancelled",
  refunded: "was refunded",
};

/** The screen that shows a record a vendor's message answers. */
export const RECORD_SCREEN = { feedback: "feedback", support: "support", intent: "intents" } as const;
