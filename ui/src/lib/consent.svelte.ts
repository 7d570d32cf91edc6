// Consent at the moment it is needed: when a message cannot leave because no consent
// covers it, the app asks there and then, in a sentence ("Let Acme Kettles receive my
// feedback and the product it is about, for 1 year?"), proffers the consent when the
// person allows it, and goes on with the send once the vendor agreed.
import * as api from "./bindings/commands";
import type { Category, Consent, ConsentNeeded } from "./bindings";
import { ParleyError, messageOf } from "./ipc";
import { session } from "./session.svelte";
import { AGREEMENTS, defaultAgreement } from "./format";

/** How long a consent asked for here lets the vendor keep what it receives. */
export const RETENTION_DAYS = 365;

/** What a consent category is, as the object of "receive …". */
export const RECEIVES: Record<Category, string> = {
  feedback: "my feedback",
  support: "my request for help",
  intent: "what I want to buy",
  product: "the product it is about",
  contact: "the contact details I chose to add",
};

/** What the vendor may do with it, by purpose. */
export const MAY_USE: Record<string, string> = {
  improvement: "only to learn from it and improve",
  service: "only to help you with what you own",
  quote: "only to answer with offers",
};

export const sheet = $state({
  need: null as ConsentNeeded | null,
  categories: [] as Category[],
  /** What the button does after the vendor agrees ("send", "preview"). */
  then: "send" as string,
  busy: false,
  /** What happened when the vendor did not agree, in words. */
  problem: "",
  resolve: null as ((agreed: boolean) => void) | null,
});

/** "my feedback and the product it is about". */
export function receives(categories: Category[]): string {
  const words = categories.map((c) => RECEIVES[c]);
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} and ${words[words.length - 1]}`;
}

export function question(need: ConsentNeeded, categories: Category[]): string {
  return `Let ${need.vendor} receive ${receives(categories)}, for 1 year?`;
}

export function explanation(need: ConsentNeeded): string {
  const purpose = need.purposes[0] ?? "service";
  const agreement = defaultAgreement(purpose);
  return `${need.vendor} may use it ${MAY_USE[purpose] ?? "for this purpose only"}, under the standard agreement "${AGREEMENTS[agreement]}". It deletes it after a year, or as soon as you withdraw your consent under Consents.`;
}

/** Opens the sheet; resolves `true` once the vendor agreed, `false` if the person declines. */
export function askConsent(need: ConsentNeeded, include: Category[], then = "send"): Promise<boolean> {
  sheet.resolve?.(false);
  sheet.need = need;
  sheet.categories = [need.category, ...include.filter((c) => c !== need.category)];
  sheet.then = then;
  sheet.problem = "";
  sheet.busy = false;
  return new Promise((resolve) => {
    sheet.resolve = resolve;
  });
}

function close(agreed: boolean): void {
  const resolve = sheet.resolve;
  sheet.need = null;
  sheet.resolve = null;
  resolve?.(agreed);
}

export function decline(): void {
  close(false);
}

/** Proffers the consent; closes the sheet when the vendor agreed, says why not otherwise. */
export async function allow(): Promise<void> {
  const need = sheet.need;
  if (!need || sheet.busy) return;
  sheet.busy = true;
  sheet.problem = "";
  try {
    const out = await api.consentGrant({
      vendor: need.vendor,
      purpose: need.purposes[0] ?? null,
      categories: sheet.categories,
      retentionDays: RETENTION_DAYS,
      agreement: null,
      terms: null,
      state: null,
    });
    if (out.consent.state === "agreed") return close(true);
    sheet.problem = notAgreed(out.consent, out.sent.messages[0]?.lastError ?? null);
  } catch (e) {
    sheet.problem = messageOf(e);
  } finally {
    sheet.busy = false;
  }
}

function notAgreed(c: Consent, error: string | null): string {
  const vendor = sheet.need?.vendor ?? "The vendor";
  switch (c.state) {
    case "proffered":
      return `${vendor} has not answered yet${error ? ` (${error})` : ""}. Your consent waits; your message is kept as a draft.`;
    case "refused":
      return `${vendor} did not agree${c.reason ? `: ${c.reason}` : ""}. Nothing was sent.`;
    case "alternative":
      return `${vendor} asks for other terms${c.alternative ? ` (${AGREEMENTS[c.alternative]})` : ""}. See Consents to accept or decline them. Nothing was sent.`;
    default:
      return `${vendor} answered "${c.state}". Nothing was sent.`;
  }
}

/**
 * Runs `action`; when it fails for want of a consent, asks for it (adding `include` to
 * what the vendor may receive) and runs it again once agreed — for each vendor still
 * missing one. Other failures show in the error line, as `attempt` does.
 */
export async function withConsent<T>(
  action: () => Promise<T>,
  include: Category[] = [],
  then = "send",
): Promise<T | undefined> {
  session.error = "";
  session.errorCode = null;
  for (let asked = 0; asked < 8; asked++) {
    try {
      return await action();
    } catch (e) {
      if (e instanceof ParleyError && e.code === "consent-missing" && e.consent) {
        if (await askConsent(e.consent, include, then)) continue;
        return undefined;
      }
      session.error = messageOf(e);
      session.errorCode = e instanceof ParleyError ? e.code : null;
      return undefined;
    }
  }
  return undefined;
}

/**
 * The usual way a message leaves: a preview first, then Send. When the preview cannot
 * be made for want of a consent, the sheet asks for it ("Allow and send"): once the
 * vendor agreed, the message is sent at once — the sheet said what it will receive.
 */
export async function previewOrAllow<P, S>(
  preview: () => Promise<P>,
  send: () => Promise<S>,
  include: Category[] = [],
): Promise<{ previews?: P; sent?: S }> {
  session.error = "";
  session.errorCode = null;
  try {
    return { previews: await preview() };
  } catch (e) {
    if (e instanceof ParleyError && e.code === "consent-missing" && e.consent) {
      if (!(await askConsent(e.consent, include, "send"))) return {};
      const sent = await withConsent(send, include);
      return sent === undefined ? {} : { sent };
    }
    session.error = messageOf(e);
    session.errorCode = e instanceof ParleyError ? e.code : null;
    return {};
  }
}
