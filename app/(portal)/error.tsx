"use client";
import { Button } from "../_components/ui";

export default function PortalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="mx-auto max-w-lg rounded-lg border border-rose-200 bg-rose-50 p-6 dark:border-rose-900 dark:bg-rose-950/40">
      <h2 className="font-semibold text-rose-800 dark:text-rose-200">Something went wrong</h2>
      <p className="mt-2 text-sm text-rose-700 dark:text-rose-300">{error.message || "An unexpected error occurred."}</p>
      {error.digest && <p className="mt-1 text-xs text-rose-600/80">Reference: {error.digest}</p>}
      <Button className="mt-4" onClick={reset}>
        Try again
      </Button>
    </div>
  );
}
