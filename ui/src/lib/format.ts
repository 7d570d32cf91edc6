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
