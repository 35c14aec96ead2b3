// The background import's progress panel, rendered on the server as Next renders it, from the job as the server
// reports it: a progress bar screen readers can read, the counts, the entities with errors, and colours for light and
// dark mode. (Polling is TanStack Query's refetchInterval; the job data here is what catalog.importJob answers.)
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it, vi } from "vitest";
import type { CatalogImportStatus } from "../server/catalog/import-jobs";

const key = (id: string) => ["catalog.importJob", id];
vi.mock("@/app/_lib/trpc", () => ({
  useTRPC: () => ({ catalog: { importJob: { queryOptions: ({ id }: { id: string }) => ({ queryKey: key(id), queryFn: () => new Promise(() => {}) }) } } }),
}));
const { ImportProgress } = await import("../app/(portal)/catalog/import/import-progress");

function job(over: Partial<CatalogImportStatus>): CatalogImportStatus {
  return {
    id: "job1",
    status: "running",
    requestedById: "u1",
    createdAt: new Date(),
    startedAt: new Date(),
    finishedAt: null,
    failure: null,
    statusUrl: "/api/catalog/import/job1",
    progress: { processed: 2400, documents: 5000, linked: 0, linkTotal: 3000, percent: 30 },
    counts: { created: 1900, updated: 0, unchanged: 0, skipped: 480, errors: 20, warnings: 0 },
    errors: [],
    warnings: [],
    ...over,
  };
}

function render(data: CatalogImportStatus) {
  const client = new QueryClient();
  client.setQueryData(key(data.id), data);
  return renderToStaticMarkup(createElement(QueryClientProvider, { client }, createElement(ImportProgress, { id: data.id })));
}

describe("background import progress", () => {
  it("shows a running job's phase and counts on a progress bar screen readers can read", () => {
    const html = render(job({}));
    const bar = html.match(/<div role="progressbar"[^>]*>/)?.[0] ?? "";
    expect(bar).toContain('aria-valuenow="30"');
    expect(bar).toContain('aria-valuetext="Applying entities: 2,400 of 5,000"');
    expect(html).toContain('style="width:30%"');
    expect(html).toContain("So far: 1,900 created, 0 updated, 0 unchanged, 480 skipped");
    expect(html).toContain("running");
    // Light and dark colours for the track and the bar.
    expect(bar).toMatch(/bg-gray-200 dark:bg-gray-800/);
    expect(html).toMatch(/bg-brand-600[^"]*dark:bg-brand-400/);
  });

  it("ends with the summary and the entities that were not imported", () => {
    const html = render(
      job({
        status: "succeeded",
        finishedAt: new Date(),
        progress: { processed: 5000, documents: 5000, linked: 3000, linkTotal: 3000, percent: 100 },
        counts: { created: 3980, updated: 0, unchanged: 0, skipped: 1000, errors: 20, warnings: 1 },
        errors: [{ index: 6, kind: "Component", name: "example-website", message: 'Unknown owner "guests": no team with that name (import its Group too)' }],
        warnings: [{ index: 9, kind: "Component", name: "shop", message: 'Dependency "component:gone" is not in the catalog; ignored' }],
      }),
    );
    expect(html).toContain("Imported: 3,980 created");
    expect(html).toContain("finished");
    expect(html).toContain("Entities not imported (the first 1 of 20)");
    expect(html).toMatch(/<td[^>]*>7<\/td><td[^>]*>Component<\/td><td[^>]*>example-website<\/td><td[^>]*text-rose-700 dark:text-rose-300[^>]*>Unknown owner/);
    expect(html).toContain("1 warning (dependencies not in the catalog)");
    expect(html).toContain('aria-valuenow="100"');
  });

  it("says why a failed job failed", () => {
    const html = render(job({ status: "failed", failure: "The account that started this import is disabled" }));
    expect(html).toContain("failed");
    expect(html).toMatch(/role="alert"[^>]*>The account that started this import is disabled/);
    expect(html).toMatch(/bg-rose-600 dark:bg-rose-400/);
  });
});
