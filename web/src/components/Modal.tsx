import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

// A native modal <dialog>: focus is trapped by the browser, Escape closes it (through onClose),
// and focus returns to what was focused before.
export function Modal({
  title,
  onClose,
  children,
  wide = false,
  labelledBy,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
  labelledBy?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = labelledBy ?? `dlg-${title.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}`;
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open) dialog.close();
      previous?.focus?.();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={wide ? 'modal modal-wide' : 'modal'}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div class="modal-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="btn-icon" aria-label="Close dialog" onClick={onClose}>
          ×
        </button>
      </div>
      <div class="modal-body">{children}</div>
    </dialog>
  );
}
