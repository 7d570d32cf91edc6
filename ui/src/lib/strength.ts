// Passphrase strength, judged in the UI only to guide the person; the passphrase
// itself goes straight to Rust and is not kept here.

export interface Strength {
  /** 0 (very weak) to 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  advice: string;
}

const COMMON = ["password", "passw0rd", "123456", "qwerty", "letmein", "parley", "iloveyou", "admin", "welcome"];

/** Estimated entropy in bits: the alphabet the characters come from, times length,
 *  with repeats and common words counting for little. */
export function entropyBits(p: string): number {
  if (!p) return 0;
  let alphabet = 0;
  if (/[a-z]/.test(p)) alphabet += 26;
  if (/[A-Z]/.test(p)) alphabet += 26;
  if (/[0-9]/.test(p)) alphabet += 10;
  if (/[^a-zA-Z0-9]/.test(p)) alphabet += 33;
  const distinct = new Set(p).size;
  // A run of one character adds little; count distinct characters more than length.
  const effective = Math.min(p.length, distinct * 2);
  let bits = effective * Math.log2(Math.max(alphabet, 2));
  const lower = p.toLowerCase();
  for (const w of COMMON) if (lower.includes(w)) bits -= w.length * 4;
  return Math.max(0, Math.round(bits));
}

export function strength(p: string): Strength {
  const bits = entropyBits(p);
  if (p.length < 8) return { score: 0, label: "Too short", advice: "Use at least 8 characters; 4 or more random words are best." };
  if (bits < 40) return { score: 1, label: "Weak", advice: "Add more words or characters." };
  if (bits < 60) return { score: 2, label: "Fair", advice: "Longer is stronger: add another word." };
  if (bits < 80) return { score: 3, label: "Good", advice: "Good. A longer phrase is stronger still." };
  return { score: 4, label: "Strong", advice: "Strong." };
}
