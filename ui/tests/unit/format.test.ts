import { describe, expect, it } from "vitest";
import { bodyInWords, deliveryLabel, field, headline, npsGroup, summaryInWords, warrantyLabel } from "../../src/lib/format";
import { explanation, question } from "../../src/lib/consent.svelte";
import type { OutboxItem } from "../../src/lib/bindings";

describe("warrantyLabel", () => {
  it("says how long is left, or how long ago it ended", () => {
    expect(warrantyLabel({ status: "active", daysLeft: 412 })).toBe("Active (412 days left)");
    expect(warrantyLabel({ status: "endingSoon", daysLeft: 1 })).toBe("Ends in 1 day");
    expect(warrantyLabel({ status: "endingSoon", daysLeft: 0 })).toBe("Ends today");
    expect(warrantyLabel({ status: "ended", daysLeft: -3 })).toBe("Ended 3 days ago");
    expect(warrantyLabel({ status: "unknown", daysLeft: null })).toBe("No warranty date");
  });
});

describe("npsGroup", () => {
  it("splits the 0–10 scale as Net Promoter Score does", () => {
    expect([0, 6, 7, 8, 9, 10].map(npsGroup)).toEqual(["detractor", "detractor", "passive", "passive", "promoter", "promoter"]);
  });
});

describe("field", () => {
  it("reads text inside signed JSON and nothing else", () => {
    const body = { price: { amount: "279.00", currency: "EUR" }, text: "In stock", n: 3, list: ["x"] };
    expect(field(body, "price", "amount")).toBe("279.00");
    expect(field(body, "text")).toBe("In stock");
    expect(field(body, "n")).toBe("3");
    expect(field(body, "list")).toBe("");
    expect(field(body, "missing", "deeper")).toBe("");
    expect(field(null, "text")).toBe("");
  });
});

describe("deliveryLabel", () => {
  const item = (over: Partial<OutboxItem>): OutboxItem => ({
    id: "1", vendorId: "v", vendor: "Acme", consentId: null, type: "Feedback", recordKind: "feedback", recordId: "f",
    state: "queued", attempts: 0, nextAttempt: "", lastError: null, digest: "", message: null, receipt: null,
    created: "", delivered: null, ...over,
  });
  it("tells queued, delivered and refused apart, with the reason", () => {
    expect(deliveryLabel(item({ state: "delivered" }))).toBe("Delivered to Acme (receipt verified)");
    expect(deliveryLabel(item({ lastError: "cannot reach" }))).toBe("Queued for Acme: cannot reach");
    expect(deliveryLabel(item({ state: "rejected", lastError: "no-consent: none" }))).toBe("Refused by Acme: no-consent: none");
  });
});

describe("messages in words", () => {
  it("says what a feedback carries, field by field", () => {
    const rows = bodyInWords("Feedback", {
      about: "product", score: 9, text: "Quiet", suggestions: ["A longer cord"],
      product: { name: "Kettle K2", serial: "SN-778", price: { amount: "79.90", currency: "EUR" } },
    });
    expect(rows).toEqual([
      ["Your score", "9 out of 10"],
      ["What you think", "Quiet"],
      ["Suggestions", "A longer cord"],
      ["The product", "Kettle K2, serial SN-778, for 79.90 EUR"],
    ]);
    expect(summaryInWords("Intent", { what: "Milk jug" })).toBe("What you want: Milk jug");
  });

  it("names who answered what", () => {
    const about = { kind: "feedback", id: "f1", title: "Kettle K2" };
    expect(headline({ vendor: "Acme", type: "Reply", body: { text: "Thanks" }, about })).toBe("Acme replied about Kettle K2");
    expect(headline({ vendor: "Acme", type: "Order", body: { status: "shipped" }, about: null })).toBe("Your order from Acme is on its way");
  });

  it("asks for a consent in one sentence", () => {
    const need = { vendor: "Acme Kettles", category: "feedback" as const, purposes: ["improvement" as const] };
    expect(question(need, ["feedback", "product"])).toBe("Let Acme Kettles receive my feedback and the product it is about, for 1 year?");
    expect(explanation(need)).toContain("only to learn from it and improve");
  });
});
