"use client";
// Pier's own error view (root error boundary, and the portal shell when the database cannot be reached): says what
// happened in words a user can act on, with a retry that re-renders on the server.
import { useRouter } from "next/navigation";
import { useTransition } from "react";
import { Button, Logo } from "./ui";

export function ErrorView({ title, message, digest, onRetry }: { title: string; message: string; digest?: string; onRetry?: () => void }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const retry = () =>
    startTransition(() => {
      // Server components failed: fetch them again, then clear the boundary.
      router.refresh();
      onRetry?.();
    });
  return (
    <div className="flex min-h-[60vh] items-center justify-center px-4 py-16">
      <div
        role="alert"
        className="w-full max-w-md rounded-xl border border-gray-200 bg-white p-6 text-gray-900 shadow-sm dark:border-gray-800 dark:bg-gray-900 dark:text-gray-100"
      >
        <div className="flex items-center gap-2 font-semibold">
          <Logo />
          Pier
        </div>
        <h1 className="mt-4 text-lg font-semibold">{title}</h1>
        <p className="mt-2 text-sm text-gray-600 dark:text-gray-300">{message}</p>
        {digest && <p className="mt-2 text-xs text-gray-500 dark:text-gray-400">Reference: {digest}</p>}
        <Button className="mt-5" onClick={retry} disabled={pending}>
          {pending ? "Retrying…" : "Try again"}
        </Button>
      </div>
    </div>
  );
}

/** The portal shell could not read the signed-in user: the database is unreachable or too slow. */
export function DatabaseUnavailable() {
  return (
    <ErrorView
      title="Pier is temporarily unavailable"
      message="Pier cannot reach its database right now. Nothing you did caused this; it usually recovers within a minute. Try again shortly."
    />
  );
}
