"use client";
// Toasts: a short note of what just happened ("Approved Checkout API 1.4.2 to prod — 1 more approval needed"), read
// out by screen readers (a polite live region that is on the page from the start, so additions are announced). Each
// stays 8 s, longer while the pointer or keyboard focus is on it, and can be dismissed. Success and information only:
// a refusal is shown next to the action that caused it.
import Link from "next/link";
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";

type ToastInput = { message: string; tone?: "success" | "info"; href?: string; linkLabel?: string };
type Toast = ToastInput & { id: number };

const SHOWN_MS = 8000;
/** More than this at once and the oldest go: a burst of actions should not fill the screen. */
const MAX_SHOWN = 3;

const ToastContext = createContext<(toast: ToastInput) => void>(() => {});

/** `toast({ message })` from any client component under the portal layout. */
export function useToast() {
  return useContext(ToastContext);
}

let nextId = 0;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((ts) => ts.filter((t) => t.id !== id)), []);
  const show = useCallback((toast: ToastInput) => setToasts((ts) => [...ts, { ...toast, id: ++nextId }].slice(-MAX_SHOWN)), []);
  return (
    <ToastContext value={show}>
      {children}
      <div
        role="status"
        aria-live="polite"
        data-testid="toasts"
        className="pointer-events-none fixed inset-x-4 bottom-4 z-50 flex flex-col items-stretch gap-2 sm:right-4 sm:left-auto sm:w-96"
      >
        {toasts.map((t) => (
          <ToastItem key={t.id} toast={t} dismiss={dismiss} />
        ))}
      </div>
    </ToastContext>
  );
}

function ToastItem({ toast, dismiss }: { toast: Toast; dismiss: (id: number) => void }) {
  // Paused while hovered or focused: time to read it, or to reach its link (WCAG 2.2.1).
  const [paused, setPaused] = useState(false);
  useEffect(() => {
    if (paused) return;
    const timer = setTimeout(() => dismiss(toast.id), SHOWN_MS);
    return () => clearTimeout(timer);
  }, [paused, dismiss, toast.id]);
  const accent = toast.tone === "info" ? "border-l-brand-600" : "border-l-emerald-600";
  return (
    <div
      data-testid="toast"
      onMouseEnter={() => setPaused(true)}
      onMouseLeave={() => setPaused(false)}
      onFocus={() => setPaused(true)}
      onBlur={() => setPaused(false)}
      className={`pointer-events-auto flex items-start gap-3 rounded-lg border border-l-4 border-gray-200 bg-white p-3 text-sm text-gray-900 shadow-lg dark:border-gray-700 dark:bg-gray-900 dark:text-gray-100 ${accent}`}
    >
      <p className="flex-1">
        {toast.message}
        {toast.href && (
          <>
            {" "}
            <Link href={toast.href} className="font-medium text-brand-700 underline dark:text-brand-100">
              {toast.linkLabel ?? "View"}
            </Link>
          </>
        )}
      </p>
      <button
        type="button"
        onClick={() => dismiss(toast.id)}
        aria-label="Dismiss"
        className="rounded p-0.5 text-gray-500 hover:bg-gray-100 hover:text-gray-800 focus-visible:ring-2 focus-visible:ring-brand-500 focus-visible:outline-none dark:text-gray-400 dark:hover:bg-gray-800 dark:hover:text-gray-100"
      >
        <svg viewBox="0 0 20 20" className="h-4 w-4" fill="currentColor" aria-hidden>
          <path d="M6.28 5.22a.75.75 0 0 0-1.06 1.06L8.94 10l-3.72 3.72a.75.75 0 1 0 1.06 1.06L10 11.06l3.72 3.72a.75.75 0 1 0 1.06-1.06L11.06 10l3.72-3.72a.75.75 0 0 0-1.06-1.06L10 8.94 6.28 5.22Z" />
        </svg>
      </button>
    </div>
  );
}
