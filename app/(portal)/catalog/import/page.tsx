// Backstage interop: import catalog-info.yaml (paste or upload), export the catalog back.
import { buttonClass, Card, PageHeader } from "@/app/_components/ui";
import { ImportForm } from "./import-form";

export const metadata = { title: "Import / export" };

export default async function ImportPage({ searchParams }: { searchParams: Promise<{ job?: string | string[] }> }) {
  // ?job=<id>: the background import to show (set after starting one, and by its notification's link).
  const { job } = await searchParams;
  return (
    <div className="space-y-4">
      <PageHeader title="Import and export" description="Bring Backstage catalog-info.yaml files into Pier, or take Pier's catalog to Backstage." />
      <Card title="Import catalog-info.yaml">
        <ImportForm jobId={typeof job === "string" && /^[A-Za-z0-9]{1,40}$/.test(job) ? job : undefined} />
      </Card>
      <Card title="Export">
        <p className="mb-3 text-sm text-gray-600 dark:text-gray-400">
          The whole catalog as Backstage entities: the owning teams as Groups, every service as a Component, API, Resource or System. Each service page also
          offers its own catalog-info.yaml.
        </p>
        <a href="/api/catalog/export" className={buttonClass("secondary")} download="catalog-info.yaml">
          Download catalog-info.yaml
        </a>
      </Card>
    </div>
  );
}
