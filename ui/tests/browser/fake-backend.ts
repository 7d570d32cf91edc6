// An in-page stand-in for the Rust side, installed where Tauri's IPC would be
// (`window.__TAURI_INTERNALS__`). It keeps a small in-memory vault and answers the
// commands the browser tests use with the shapes of the generated bindings. It runs in
// the page, so it is self-contained: no imports.
export function installFakeBackend(): void {
  type Json = Record<string, unknown>;
  const now = () => new Date().toISOString().slice(0, 19) + "Z";
  const uuid = () => crypto.randomUUID();
  const db = {
    exists: false,
    unlocked: false,
    products: [] as Json[],
    feedback: [] as Json[],
    outbox: [] as Json[],
    audit: [] as Json[],
    vendors: [{ id: "v1", name: "Acme Kettles", url: "https://acme.example", did: "did:key:z6MkAcme",
      fingerprint: "6f45 5744 c7f6 ec95 1b23 59a1 d259 bcf8", presentedDid: null,
      messagesUrl: "https://acme.example/parley/v1/messages", inboxUrl: "https://acme.example/parley/v1/inbox",
      agreements: ["SD-BASE", "PDC-INTENT"], created: now(), updated: now() },
      { id: "v2", name: "Brew Shop", url: "https://brew.example", did: "did:key:z6MkBrew",
      fingerprint: "1525 2f49 7bcc cb8f b225 2d6a 2080 fc36", presentedDid: null,
      messagesUrl: "https://brew.example/parley/v1/messages", inboxUrl: "https://brew.example/parley/v1/inbox",
      agreements: ["SD-BASE", "PDC-INTENT"], created: now(), updated: now() }] as Json[],
    intents: [] as Json[],
    offers: [] as Json[],
    // No consent yet: the first feedback asks for one at the moment it is sent.
    consents: [] as Json[],
    inbox: [] as Json[],
    support: [] as Json[],
  };
  const log = (action: string, summary: string, vendorId: string | null, detail: Json) =>
    db.audit.push({ seq: db.audit.length + 1, at: now(), action, vendorId, consentId: null, summary, detail,
      prevHash: "0".repeat(64), hash: uuid().replace(/-/g, "").padEnd(64, "0") });
  const status = () => ({ exists: db.exists, unlocked: db.unlocked, dir: "/home/ana/.local/share/parley/vault" });
  const warranty = (p: Json) => {
    if (!p.warrantyUntil) return { status: "unknown", daysLeft: null };
    const days = Math.round((Date.parse(String(p.warrantyUntil)) - Date.parse(now().slice(0, 10))) / 86400000);
    return { status: days < 0 ? "ended" : days <= 30 ? "endingSoon" : "active", daysLeft: days };
  };
  const fail = (code: string, message: string, consent: Json | null = null) => { throw { code, message, consent }; };
  const vendorByName = (name: unknown) => db.vendors.find((v) => v.name === name || v.id === name);
  // The newest agreed consent with a vendor for a purpose and category, as the agent finds it.
  const consentFor = (vendorId: unknown, purposes: string[], category: string) =>
    db.consents.slice().reverse().find((c) => c.vendorId === vendorId && c.state === "agreed" &&
      purposes.includes(String(c.purpose)) && (c.categories as string[]).includes(category));
  const requireConsent = (vendorId: unknown, purposes: string[], category: string) =>
    consentFor(vendorId, purposes, category) ??
      fail("consent-missing", `no agreed consent with ${vendorByName(vendorId)?.name} covers sharing ${category}`,
        { vendor: vendorByName(vendorId)?.name, category, purposes });
  const feedbackVendor = (f: Json) => f.vendorId ?? vendorByName(db.products.find((p) => p.id === f.productId)?.vendor)?.id ?? "v1";
  const message = (f: Json) => {
    const product = db.products.find((p) => p.id === f.productId);
    const consent = requireConsent(feedbackVendor(f), ["improvement"], "feedback") as Json;
    const covers = (consent.categories as string[]).includes("product");
    return { type: "Feedback", id: `urn:uuid:${uuid()}`, from: "did:key:z6MkPerson", to: "did:key:z6MkAcme", created: now(),
      consent: `urn:uuid:${consent.id}`, body: { about: product ? "product" : "vendor", score: f.score, text: f.text,
        suggestions: f.suggestions, ...(product && covers ? { product: { name: product.name, serial: product.serial } } : {}) },
      proof: { type: "DataIntegrityProof", cryptosuite: "eddsa-jcs-2022", proofPurpose: "assertionMethod" } };
  };
  const commands: Record<string, (a: Json) => unknown> = {
    vault_status: () => status(),
    vault_create: (a) => { if (String(a.passphrase).length < 8) fail("invalid", "too short"); db.exists = db.unlocked = true; log("vault.created", "Vault created", null, {}); return status(); },
    vault_lock: () => { db.unlocked = false; return status(); },
    vault_unlock: (a) => { if (a.passphrase !== "correct horse battery staple") fail("wrong-passphrase", "wrong passphrase"); db.unlocked = true; return status(); },
    support_list: () => db.support.slice().reverse(),
    support_add: (a) => {
      const f = a.fields as Json;
      if (!f.subject || !f.text) fail("invalid", "subject: must not be empty");
      const r = { id: uuid(), productId: f.product, kind: f.kind ?? "question", subject: f.subject, text: f.text, state: "draft", created: now(), updated: now() };
      db.support.push(r);
      return r;
    },
    support_preview: (a) => {
      const r = db.support.find((x) => x.id === (a.send as Json).id) as Json;
      const product = db.products.find((p) => p.id === r.productId) as Json;
      const vendorId = vendorByName(product.vendor)?.id;
      const c = requireConsent(vendorId, ["service"], "support") as Json;
      const covers = (c.categories as string[]).includes("product");
      return [{ vendor: product.vendor, consentId: c.id, message: { type: "SupportRequest", body: { subject: r.subject, text: r.text,
        ...(covers ? { product: { name: product.name, serial: product.serial } } : {}) } } }];
    },
    support_send: (a) => {
      const r = db.support.find((x) => x.id === (a.send as Json).id) as Json;
      const product = db.products.find((p) => p.id === r.productId) as Json;
      const v = vendorByName(product.vendor) as Json;
      const c = requireConsent(v.id, ["service"], "support") as Json;
      r.state = "sent";
      const item = { id: uuid(), vendorId: v.id, vendor: v.name, consentId: c.id, type: "SupportRequest", recordKind: "support",
        recordId: r.id, state: "delivered", attempts: 0, nextAttempt: now(), lastError: null, digest: "sha256:04",
        message: { type: "SupportRequest", body: { subject: r.subject, text: r.text } }, receipt: { type: "Receipt" }, created: now(), delivered: now() };
      db.outbox.push(item);
      return { messages: [item], problems: [] };
    },
    sync_status: () => ({ state: "idle", lastSync: null, queued: 0, problems: [] }),
    product_list: () => db.products.map((p) => ({ product: p, warranty: warranty(p) })).reverse(),
    product_add: (a) => {
      const f = a.fields as Json;
      if (!f.name) fail("invalid", "name: must not be empty");
      const p = { id: uuid(), name: f.name, vendor: f.vendor, model: f.model, serial: f.serial, purchased: f.purchased,
        price: f.price, warrantyUntil: f.warrantyUntil, notes: f.notes, created: now(), updated: now() };
      db.products.push(p);
      return p;
    },
    product_update: (a) => {
      const u = a.update as Json;
      const p = db.products.find((x) => x.id === u.id) ?? fail("not-found", "no product");
      const f = u.fields as Json;
      for (const k of Object.keys(f)) if (f[k] !== null) (p as Json)[k] = f[k];
      return p;
    },
    product_get: (a) => { const p = db.products.find((x) => x.id === a.id) ?? fail("not-found", "no product"); return { product: p, warranty: warranty(p as Json), attachments: [] }; },
    vendor_list: () => db.vendors,
    consent_list: () => db.consents.slice().reverse(),
    feedback_list: () => db.feedback.slice().reverse(),
    feedback_add: (a) => {
      const f = a.fields as Json;
      const fb = { id: uuid(), productId: f.product, vendorId: f.vendor, score: f.score, text: f.text,
        suggestions: f.suggestions ?? [], state: "draft", created: now(), updated: now() };
      db.feedback.push(fb);
      return fb;
    },
    feedback_preview: (a) => [{ vendor: "Acme Kettles", consentId: "c1", message: message(db.feedback.find((f) => f.id === (a.send as Json).id) as Json) }],
    feedback_update: (a) => {
      const u = a.update as Json;
      const f = db.feedback.find((x) => x.id === u.id) as Json;
      const fields = u.fields as Json;
      Object.assign(f, { score: fields.score ?? f.score, text: fields.text || null, suggestions: fields.suggestions ?? f.suggestions, updated: now() });
      return f;
    },
    feedback_delete: (a) => { db.feedback = db.feedback.filter((f) => f.id !== a.id); return null; },
    consent_grant: (a) => {
      const f = a.fields as Json;
      const v = vendorByName(f.vendor) ?? fail("other", "no such vendor");
      const c = { id: uuid(), vendorId: (v as Json).id, agreement: f.agreement ?? (f.purpose === "quote" ? "PDC-INTENT" : "SD-BASE"),
        purpose: f.purpose, categories: f.categories, retentionDays: f.retentionDays ?? 365, terms: f.terms, state: "agreed",
        alternative: null, reason: null, answer: { type: "ConsentAgreement", created: now(), body: { decision: "agree" } },
        deletionReceipt: null, created: now(), updated: now() };
      db.consents.push(c);
      const item = { id: uuid(), vendorId: c.vendorId, vendor: (v as Json).name, consentId: null, type: "ConsentGrant", recordKind: "consent",
        recordId: c.id, state: "delivered", attempts: 0, nextAttempt: now(), lastError: null, digest: "sha256:03",
        message: { type: "ConsentGrant", body: { purpose: c.purpose, categories: c.categories, retentionDays: c.retentionDays } },
        receipt: null, created: now(), delivered: now() };
      db.outbox.push(item);
      log("consent.agreed", `Consent agreed by ${(v as Json).name}`, String(c.vendorId), {});
      return { consent: c, sent: { messages: [item], problems: [] } };
    },
    consent_revoke: (a) => {
      const r = a.revocation as Json;
      const c = db.consents.find((x) => x.id === r.id) as Json;
      Object.assign(c, { state: "revoked", updated: now(), deletionReceipt: { type: "DeletionReceipt", body: { deleted: db.outbox
        .filter((m) => m.consentId === c.id).map((m) => m.id), completed: now() } } });
      return { consent: c, sent: { messages: [], problems: [] } };
    },
    // A sync: Acme answers each feedback it holds that it has not answered yet.
    sync_now: () => {
      let received = 0;
      for (const m of db.outbox.filter((o) => o.type === "Feedback" && !db.inbox.some((i) => i.thread === o.id))) {
        const f = db.feedback.find((x) => x.id === m.recordId) as Json;
        const product = db.products.find((p) => p.id === f.productId);
        db.inbox.push({ id: uuid(), vendorId: m.vendorId, vendor: m.vendor, type: "Reply", thread: m.id, inReplyTo: m.id,
          intent: null, state: "new", body: { text: "Thank you! A descaler is on its way." }, message: {}, created: now(),
          received: now(), read: null, about: { kind: "feedback", id: f.id, title: product?.name ?? "your feedback" } });
        received++;
      }
      return { delivered: [], rejected: [], queued: 0, received, reads: 0, owned: [], problems: [] };
    },
    inbox_unread: () => [...db.offers, ...db.inbox].filter((m) => !m.read),
    inbox_mark_read: (a) => { for (const m of [...db.offers, ...db.inbox]) if ((a.ids as string[]).includes(String(m.id)) && !m.read) m.read = now(); return null; },
    feedback_send: (a) => {
      const f = db.feedback.find((x) => x.id === (a.send as Json).id) as Json;
      const m = message(f);
      f.state = "sent";
      const item = { id: uuid(), vendorId: "v1", vendor: "Acme Kettles", consentId: m.consent.slice(9), type: "Feedback", recordKind: "feedback",
        recordId: f.id, state: "delivered", attempts: 0, nextAttempt: now(), lastError: null, digest: "sha256:00",
        message: m, receipt: { type: "Receipt" }, created: now(), delivered: now() };
      db.outbox.push(item);
      log("message.queued", "Feedback to Acme Kettles signed and queued", "v1", { shared: m.body });
      log("message.delivered", "Feedback delivered to Acme Kettles", "v1", { receipt: { type: "Receipt" } });
      return { messages: [item], problems: [] };
    },
    intent_list: () => db.intents.slice().reverse(),
    intent_add: (a) => {
      const f = a.fields as Json;
      const i = { id: uuid(), what: f.what, budget: f.budget, by: f.by, constraints: f.constraints ?? [], state: "draft", created: now(), updated: now() };
      db.intents.push(i);
      return i;
    },
    intent_preview: (a) => ((a.cast as Json).vendors as string[]).map((v) => {
      requireConsent(vendorByName(v)?.id, ["quote"], "intent");
      const i = db.intents.find((x) => x.id === (a.cast as Json).id) as Json;
      return { vendor: v, consentId: "c2", message: { type: "Intent", from: `did:key:z6Mk${v.replace(/\W/g, "")}Person`,
        body: { what: i.what, budget: i.budget, by: i.by, constraints: i.constraints } } };
    }),
    intent_send: (a) => {
      const cast = a.cast as Json;
      for (const v of cast.vendors as string[]) requireConsent(vendorByName(v)?.id, ["quote"], "intent");
      const i = db.intents.find((x) => x.id === cast.id) as Json;
      i.state = "sent";
      const messages = (cast.vendors as string[]).map((v) => {
        const vendorId = vendorByName(v)?.id;
        const item = { id: uuid(), vendorId, vendor: v, consentId: (consentFor(vendorId, ["quote"], "intent") as Json).id, type: "Intent", recordKind: "intent", recordId: i.id,
          state: "delivered", attempts: 0, nextAttempt: now(), lastError: null, digest: "sha256:01", message: { type: "Intent", body: { what: i.what, budget: i.budget } },
          receipt: { type: "Receipt" }, created: now(), delivered: now() };
        db.outbox.push(item);
        log("message.delivered", `Intent delivered to ${v}`, null, {});
        return item;
      });
      // Two vendors answer at once, as if a sync had pulled their offers.
      messages.forEach((m, n) => db.offers.push({ id: uuid(), vendorId: m.vendorId, vendor: m.vendor, type: "Offer", thread: m.id,
        inReplyTo: m.id, intent: m.id, state: "new", created: now(), received: now(), message: null, read: null,
        about: { kind: "intent", id: i.id, title: i.what },
        body: { intent: m.id, price: { amount: ["849.00", "799.00", "899.00"][n % 3], currency: "EUR" },
          text: ["In stock, delivered Friday", "Last year's model, two-year warranty", "Made to order"][n % 3], validUntil: "2030-01-15" } }));
      i.state = "offers";
      return { messages, problems: [] };
    },
    intent_offers: (a) => db.offers.filter((o) => db.outbox.some((m) => m.id === o.intent && m.recordId === a.id)),
    offer_accept: (a) => {
      const o = db.offers.find((x) => x.id === a.id) as Json;
      o.state = "accepted";
      const i = db.intents.find((x) => db.outbox.some((m) => m.id === o.intent && m.recordId === x.id)) as Json;
      i.state = "accepted";
      const item = { id: uuid(), vendorId: o.vendorId, vendor: o.vendor, consentId: (consentFor(o.vendorId, ["quote"], "intent") as Json).id, type: "OfferAcceptance", recordKind: "intent",
        recordId: i.id, state: "delivered", attempts: 0, nextAttempt: now(), lastError: null, digest: "sha256:02", message: null,
        receipt: null, created: now(), delivered: now() };
      db.outbox.push(item);
      return { messages: [item], problems: [] };
    },
    vendor_my_did: () => "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    shared: (a) => db.vendors.filter((v) => !a.vendor || v.id === a.vendor).map((v) => ({ vendor: v.name, vendorId: v.id,
      consents: db.consents.filter((c) => c.vendorId === v.id).map((c) => ({ consent: c, messages: db.outbox.filter((m) => m.consentId === c.id) })),
      withoutConsent: db.outbox.filter((m) => m.vendorId === v.id && m.consentId === null) })),
    vendor_discover: (a) => {
      const url = String((a.vendor as Json).url);
      const v = { id: uuid(), name: (a.vendor as Json).name ?? new URL(url).hostname, url, did: "did:key:z6MkNew",
        fingerprint: "3f2f 9226 5ff8 34af 46fc 91d1 562f 1b5f", presentedDid: null, messagesUrl: `${url}/parley/v1/messages`,
        inboxUrl: `${url}/parley/v1/inbox`, agreements: ["SD-BASE", "PDC-INTENT"], created: now(), updated: now() };
      db.vendors.push(v);
      return v;
    },
    outbox: () => db.outbox,
    inbox: () => [...db.inbox, ...db.offers],
    audit_log: () => db.audit,
    // Acme's staff-access log: a read of each delivered message, once it left.
    access_log: () => db.vendors.filter((v) => v.id === "v1").map((v) => ({ vendorId: v.id, vendor: v.name, checked: now(),
      problem: null, reads: db.outbox.filter((m) => m.vendorId === v.id && m.state === "delivered").map((m, i) => ({
        vendorId: v.id, vendor: v.name, seq: i + 1, at: now(), message: m.id, messageType: m.type, reader: "staff 3",
        role: "agent", via: "console", channel: null, hash: "sha256:" + "0".repeat(64), received: now(),
        summary: "Your feedback was read by staff 3 (agent) in the console" })) })),
    audit_verify: () => ({ entries: db.audit.length, problems: [] }),
    settings_get: () => ({ autoLockMinutes: 10, syncMinutes: 5 }),
    // The system file dialog: a chosen file when saving, a cancelled dialog when opening.
    backup_pick_file: (a) => (a.purpose === "export" ? "/home/ana/parley-backup.pbk" : null),
    vault_export: (a) => ((a.backup as Json | undefined)?.path ? fail("invalid", "unknown field `path`") : null),
  };
  const callbacks = new Map<number, (x: unknown) => void>();
  let next = 1;
  (window as unknown as { __TAURI_INTERNALS__: unknown }).__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label: "main" }, currentWebview: { windowLabel: "main", label: "main" } },
    transformCallback: (cb: (x: unknown) => void) => { const id = next++; callbacks.set(id, cb); return id; },
    unregisterCallback: (id: number) => callbacks.delete(id),
    invoke: async (cmd: string, args: Json) => {
      if (cmd.startsWith("plugin:event|")) return next++;
      const handler = commands[cmd];
      if (!handler) throw { code: "ipc", message: `the fake backend has no ${cmd}` };
      return JSON.parse(JSON.stringify(handler(args ?? {})));
    },
  };
}
