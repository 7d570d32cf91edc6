// `use:modal={open}` on a <dialog>: shown modally (focus moves in, the page behind is
// inert, Escape fires `cancel`) while `open`, closed otherwise.
export function modal(node: HTMLDialogElement, open: boolean) {
  const show = (wanted: boolean) => {
    if (wanted && !node.open) node.showModal();
    if (!wanted && node.open) node.close();
  };
  show(open);
  return { update: show };
}
