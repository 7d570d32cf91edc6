// What the whole UI shares: the vault's status, the screen shown, the sync status,
// and one line of news or error at a time.
import * as api from "./bindings/commands";
import type { SyncStatus, VaultStatus } from "./bindings";
import { messageOf, onEvent, ParleyError } from "./ipc";

export type Screen =
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
});

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
    if (s.state !== "syncing") session.syncs += 1;
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
