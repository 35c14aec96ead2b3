"use client";
// Last-resort boundary: the root layout itself failed, so this renders the whole document (no globals.css, no
// theme class). Plain styles that follow the system's light or dark scheme keep it readable either way.
export default function GlobalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <body>
        <style>{`
          :root { color-scheme: light dark; }
          body { margin: 0; font-family: system-ui, sans-serif; background: #f9fafb; color: #111827; }
          .pier-error { max-width: 28rem; margin: 15vh auto; padding: 1.5rem; border-radius: 0.75rem; border: 1px solid #e5e7eb; background: #fff; }
          .pier-error p { color: #4b5563; font-size: 0.875rem; }
          .pier-error button { margin-top: 1rem; padding: 0.4rem 0.9rem; border: 0; border-radius: 0.375rem; background: #1d63dc; color: #fff; font-weight: 500; cursor: pointer; }
          @media (prefers-color-scheme: dark) {
            body { background: #030712; color: #f3f4f6; }
            .pier-error { background: #111827; border-color: #1f2937; }
            .pier-error p { color: #d1d5db; }
          }
        `}</style>
        <div role="alert" className="pier-error">
          <h1>Pier is temporarily unavailable</h1>
          <p>Pier could not load this page. If a service it depends on (its database) is down, it recovers by itself; try again in a moment.</p>
          {error.digest && <p>Reference: {error.digest}</p>}
          <button type="button" onClick={() => reset()}>
            Try again
          </button>
        </div>
      </body>
    </html>
  );
}
