"use client";
// Confirmation for privileged and destructive actions, on the native <dialog> (showModal): the rest of the page is
// inert while it is open (focus stays inside), Escape cancels, and focus goes back to whatever opened it. It names
// the consequence; the action runs from inside it, and a refusal is shown in it, next to the button that caused it.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { Button, ErrorMessage, buttonClass } from "./ui";

type ButtonVariant = NonNullable<Parameters<typeof buttonClass>[0]>;

type DialogProps = {
  open: boolean;
  /** The question, e.g. "Change Dana's role from developer to admin?" */
  title: ReactNode;
  /** What will happen, in words: who can do what afterwards, what cannot be undone. */
  children: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  tone?: "danger" | "primary";
  /** Runs the action; the dialog closes when it resolves and shows the error when it throws. */
  onConfirm: () => unknown;
  /** Closed without acting (Cancel, Escape, a click beside it), or after onConfirm succeeded. */
  onClose: () => void;
};

export function ConfirmDialog({ open, title, children, confirmLabel, cancelLabel = "Cancel", tone = "danger", onConfirm, onClose }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef<HTMLElement | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      returnFocus.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      // The safe choice has focus first: Enter on a reflex does not delete anything.
      cancelRef.current?.focus();
    } else if (!open && dialog.open) dialog.close();
  }, [open]);

  // Whichever way it closed, focus returns to what opened it (if that is still on the page).
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const restore = () => {
      const target = returnFocus.current;
      returnFocus.current = null;
      if (target?.isConnected) target.focus();
    };
    dialog.addEventListener("close", restore);
    return () => dialog.removeEventListener("close", restore);
  }, []);

  const close = () => {
    if (pending) return;
    setError(null);
    onClose();
  };

  async function runConfirm() {
    setPending(true);
    setError(null);
    try {
      await onConfirm();
      setPending(false);
      onClose();
    } catch (err) {
      setPending(false);
      setError(err);
    }
  }

  return (
    <dialog
      ref={ref}
      role="alertdialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      // Escape: the dialog's own "cancel" event; React state decides when it really closes.
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
      onClick={(e) => {
        if (e.target === e.currentTarget) close();
      }}
      // Opened from inside tables and headings: text styles those set (nowrap, uppercase…) must not reach the dialog.
      className="m-auto w-[calc(100%-2rem)] max-w-md rounded-lg border border-gray-200 bg-white p-0 text-left text-sm font-normal tracking-normal whitespace-normal text-gray-900 normal-case shadow-xl backdrop:bg-gray-950/60 dark:border-gray-700 dark:bg-gray-900 dark:text-gray-100"
    >
      {open && (
        <div className="space-y-3 p-5">
          <h2 id={titleId} className="text-base font-semibold">
            {title}
          </h2>
          <div id={bodyId} className="space-y-2 text-sm text-gray-700 dark:text-gray-300">
            {children}
          </div>
          <ErrorMessage error={error} />
          <div className="flex flex-wrap justify-end gap-2 pt-2">
            <button ref={cancelRef} type="button" className={buttonClass("secondary")} disabled={pending} onClick={close}>
              {cancelLabel}
            </button>
            <Button variant={tone} disabled={pending} aria-busy={pending} onClick={runConfirm}>
              {pending ? "Working…" : confirmLabel}
            </Button>
          </div>
        </div>
      )}
    </dialog>
  );
}

/** A button that asks first: opens a ConfirmDialog and runs `onConfirm` only if the user confirms. */
export function ConfirmButton({
  children,
  variant = "secondary",
  disabled,
  "aria-label": ariaLabel,
  ...dialog
}: Omit<DialogProps, "open" | "onClose" | "children"> & {
  children: ReactNode;
  variant?: ButtonVariant;
  disabled?: boolean;
  "aria-label"?: string;
  /** The dialog's text (what will happen). */
  consequence: ReactNode;
}) {
  const [open, setOpen] = useState(false);
  const { consequence, ...rest } = dialog;
  return (
    <>
      <Button variant={variant} disabled={disabled} aria-label={ariaLabel} aria-haspopup="dialog" onClick={() => setOpen(true)}>
        {children}
      </Button>
      <ConfirmDialog {...rest} open={open} onClose={() => setOpen(false)}>
        {consequence}
      </ConfirmDialog>
    </>
  );
}
