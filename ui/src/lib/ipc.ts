// The one place the UI talks to Rust. The generated `bindings/commands.ts` calls
// `call`; screens call those typed functions, never `invoke` directly. Errors arrive
// as `{code, message}` and are thrown as `ParleyError`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { Code, CommandError, ConsentNeeded } from "./bindings";

/** A command's failure: the code Rust gave (generated, so branches on it are checked),
 *  or `ipc` when the call itself failed. */
export class ParleyError extends Error {
  readonly code: Code | "ipc";
  /** With `consent-missing`: the consent that would let the message go. */
  readonly consent: ConsentNeeded | null;
  constructor(e: { code: Code | "ipc"; message: string; consent?: ConsentNeeded | null }) {
    super(e.message);
    this.code = e.code;
    this.consent = e.consent ?? null;
  }
}

function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export async function call<T>(command: string, args: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    if (isCommandError(e)) throw new ParleyError(e);
    throw new ParleyError({ code: "ipc", message: String(e) });
  }
}

/** Events Rust sends: `vault-locked`, `sync-status`, `backup-progress`, `arrived`,
 *  `open-message` (a notification was clicked). */
export function onEvent<T>(name: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(name, (event) => handler(event.payload));
}

/** A message a person can read, from anything thrown. */
export function messageOf(e: unknown): string {
  if (e instanceof ParleyError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
