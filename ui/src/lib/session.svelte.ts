// What the whole UI shares: the vault's status, the screen shown, the sync status,
// and one line of news or error at a time.
import * as api from "./bindings/commands";
import type { Arrival, SyncStatus, VaultStatus } from "./bindings";
import { messageOf, onEvent, ParleyError } from "./ipc";

export type Screen =
  | "inbox"
  | "products"
  | "intents"
  | "feedback"
  | "support"
  | "vendors"
  | "consents"
  | "activity"
  | "settings";

export const session = $state({
  status: null as VaultStatus | null,
  screen: "products" as Screen,
  /** A record to open when the screen shows (e.g. the product a feedback is about). */
  focus: null as string | null,
  sync: null as SyncStatus | null,
  notice: "" as string,
  error: "" as string,
  /** The error's code, when the UI has something to offer for it (a screen to open). */
  errorCode: null as ParleyError["code"] | null,
  /** Counts finished syncs: screens showing what vendors send reload when it moves. */
  syncs: 0,
  /** Messages from vendors the person has not seen yet. */
  unread: 0,
  /** What the last sync brought, told as "who answered what"; each opens its message. */
  arrivals: [] as Arrival[],
  /** The result of "Sync now", shown beside the button. */
  syncResult: null as { ok: boolean; text: string } | null,
});

/** Counts what is unread again (after a sync, or after the person saw something). */
export async function refreshUnread(): Promise<void> {
  try {
    session.unread = (await api.inboxUnread()).length;
  } catch {
    // Locked meanwhile: the count comes back with the next unlock.
  }
}

/** Marks messages seen once they are shown to the person. */
export async function markRead(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  try {
    await api.inboxMarkRead(ids);
  } catch {
    // Locked meanwhile: they stay unread, and are counted so.
  }
  await refreshUnread();
}

export function go(screen: Screen, focus: string | null = null): void {
  session.screen = screen;
  session.focus = focus;
  session.error = "";
  session.errorCode = null;
  session.notice = "";
}

export async function refreshStatus(): Promise<void> {
  session.status = await api.vaultStatus();
}

/** Runs an action, showing its error (if any) in the error line. */
export async function attempt<T>(action: () => Promise<T>, done?: string): Promise<T | undefined> {
  session.error = "";
  session.errorCode = null;
  try {
    const result = await action();
    if (done) session.notice = done;
    return result;
  } catch (e) {
    session.error = messageOf(e);
    session.errorCode = e instanceof ParleyError ? e.code : null;
    return undefined;
  }
}

export async function listenToRust(): Promise<void> {
  await onEvent<unknown>("vault-locked", () => {
    session.notice = "Locked after being idle.";
    void refreshStatus();
  });
  await onEvent<SyncStatus>("sync-status", (s) => {
    session.sync = s;
    if (s.state !== "syncing") {
      session.syncs += 1;
      void refreshUnread();
    }
  });
  // A desktop notification was clicked: show the message it announced.
  await onEvent<string>("open-message", (id) => {
    session.arrivals = session.arrivals.filter((a) => a.id !== id);
    go("inbox", id);
  });
  await onEvent<Arrival[]>("arrived", (arrived) => {
    session.arrivals = arrived;
    void refreshUnread();
  });
}

/** Loads a screen now, and again after each sync (replies and offers may have arrived).
 *  Call it while the component initialises: the effect lives as long as the screen. */
export function loadNowAndAfterEachSync(load: () => Promise<void>): void {
  $effect(() => {
    void session.syncs;
    void load();
  });
}
