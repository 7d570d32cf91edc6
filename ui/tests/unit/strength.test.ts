import { describe, expect, it } from "vitest";
import { entropyBits, strength } from "../../src/lib/strength";

describe("strength", () => {
  it("calls short passphrases too short whatever they contain", () => {
    expect(strength("Ab1!").score).toBe(0);
  });
  it("rates common words and repeats low", () => {
    expect(strength("password123").score).toBeLessThanOrEqual(1);
    expect(strength("aaaaaaaaaaaaaaaaaaaa").score).toBeLessThanOrEqual(1);
  });
  it("rates several random words strong", () => {
    expect(strength("correct horse battery staple").score).toBe(4);
  });
  it("grows with length", () => {
    expect(entropyBits("kettle harbour")).toBeLessThan(entropyBits("kettle harbour violet"));
  });
});
