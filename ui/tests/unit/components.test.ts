import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import ScoreControl from "../../src/components/ScoreControl.svelte";
import PassphraseStrength from "../../src/components/PassphraseStrength.svelte";
import Welcome from "../../src/screens/Welcome.svelte";
import { session } from "../../src/lib/session.svelte";

afterEach(() => {
  cleanup();
  clearMocks();
});

describe("ScoreControl", () => {
  it("offers 0 to 10 and marks the chosen score", async () => {
    render(ScoreControl, { value: null });
    const buttons = screen.getAllByRole("radio");
    expect(buttons.map((b) => b.textContent)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    await fireEvent.click(screen.getByTestId("score-9"));
    expect(screen.getByTestId("score-9").getAttribute("aria-checked")).toBe("true");
    expect(screen.getByTestId("score-3").getAttribute("aria-checked")).toBe("false");
  });
});

describe("PassphraseStrength", () => {
  it("shows the score of what is typed", () => {
    render(PassphraseStrength, { passphrase: "correct horse battery staple" });
    expect(screen.getByTestId("strength").dataset.score).toBe("4");
  });
});

describe("Welcome", () => {
  let calls: [string, unknown][] = [];
  beforeEach(() => {
    calls = [];
    session.error = "";
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "vault_unlock") throw { code: "wrong-passphrase", message: "wrong passphrase" };
      if (cmd === "vault_create") return { exists: true, unlocked: true, dir: "/v" };
      return null;
    });
  });

  it("creates only with a fair passphrase typed twice, and sends it straight to Rust", async () => {
    render(Welcome, { exists: false });
    const create = screen.getByRole("button", { name: "Create vault" }) as HTMLButtonElement;
    await fireEvent.input(screen.getByTestId("passphrase"), { target: { value: "short" } });
    expect(create.disabled).toBe(true);
    await fireEvent.input(screen.getByTestId("passphrase"), { target: { value: "correct horse battery staple" } });
    await fireEvent.input(screen.getByTestId("passphrase-again"), { target: { value: "correct horse battery stapl" } });
    expect(create.disabled).toBe(true);
    await fireEvent.input(screen.getByTestId("passphrase-again"), { target: { value: "correct horse battery staple" } });
    expect(create.disabled).toBe(false);
    await fireEvent.click(create);
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toEqual([["vault_create", { passphrase: "correct horse battery staple" }]]);
    expect((screen.getByTestId("passphrase") as HTMLInputElement | null)?.value ?? "").toBe("");
  });

  it("says so when the passphrase is wrong", async () => {
    render(Welcome, { exists: true });
    await fireEvent.input(screen.getByTestId("passphrase"), { target: { value: "nope" } });
    await fireEvent.click(screen.getByRole("button", { name: "Unlock" }));
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.getByRole("alert").textContent).toBe("wrong passphrase");
    expect(screen.getByTestId("wrong-passphrase").textContent).toContain("Caps Lock");
  });
});

describe("Errors the UI acts on", () => {
  it("offers the screen that fixes a missing consent or a changed key, by the error's code", async () => {
    const { attempt } = await import("../../src/lib/session.svelte");
    const { ParleyError } = await import("../../src/lib/ipc");
    await attempt(() => Promise.reject(new ParleyError({ code: "consent-missing", message: "no agreed consent" })));
    expect(session.errorCode).toBe("consent-missing");
    await attempt(() => Promise.reject(new Error("plain")));
    expect(session.errorCode).toBe(null);
  });
});
