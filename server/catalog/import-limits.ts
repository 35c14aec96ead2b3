// How much one Backstage catalog import may hold. No imports on purpose: next.config.ts (the proxy's body limit) and
// the import page read these too.

/** Inline: one request, one transaction, all-or-nothing (the tRPC import and `POST /api/catalog/import`). */
export const INLINE_IMPORT_LIMITS = { bytes: 2_000_000, documents: 500 } as const;

/** Background jobs (`POST /api/catalog/import?async=1`): applied in chunks by a worker, each entity on its own. */
export const JOB_IMPORT_LIMITS = { bytes: 20_000_000, documents: 20_000 } as const;

/** The largest body `POST /api/catalog/import` reads: JSON escaping can double a YAML text's size. */
export const MAX_IMPORT_REQUEST_BYTES = 2 * JOB_IMPORT_LIMITS.bytes + 1024;
