"use client";
// Root error boundary: anything that fails outside a page's own boundary (the portal shell, the sign-in page)
// shows Pier's page, not Next's generic one. In production the message is hidden; the reference is in the logs.
import { ErrorView } from "./_components/unavailable";

export default function RootError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <ErrorView
      title="Something went wrong"
      message="Pier could not load this page. If a service it depends on (its database) is down, it recovers by itself; try again in a moment."
      digest={error.digest}
      onRetry={reset}
    />
  );
}
