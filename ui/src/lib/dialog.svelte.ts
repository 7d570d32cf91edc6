// The app's own confirmation dialog: one at a time, shown by <ConfirmDialog/> in the
// shell. Screens `await ask({...})` instead of the browser's `confirm()`, whose window
// is titled with the webview's address and cannot say what happens next.
export type Question = {
  title: string;
  /** What happens if the person goes ahead, in a sentence or two. */
  body: string;
  /** The button that goes ahead: a verb ("Revoke", "Delete"). */
  confirm: string;
  /** Destructive: the button is red. */
  danger?: boolean;
  /** Asks for an optional reason too; the answer is then the text typed. */
  reason?: string;
};

export const dialog = $state({
  question: null as Question | null,
  answer: "" as string,
  resolve: null as ((answer: string | null) => void) | null,
});

/** Asks; resolves with the reason typed ("" without one) or `null` when cancelled. */
export function askFor(question: Question): Promise<string | null> {
  dialog.resolve?.(null);
  dialog.question = question;
  dialog.answer = "";
  return new Promise((resolve) => {
    dialog.resolve = resolve;
  });
}

/** Asks a yes/no question. */
export async function ask(question: Question): Promise<boolean> {
  return (await askFor(question)) !== null;
}

export function answer(goAhead: boolean): void {
  const resolve = dialog.resolve;
  const text = dialog.answer.trim();
  dialog.question = null;
  dialog.resolve = null;
  resolve?.(goAhead ? text : null);
}
