// The shape of Pier's migration event (a CDEvents custom type; see ./deployment-migrations.ts), checked with the
// other CDEvents validation so every endpoint that takes CDEvents refuses an incomplete one naming the field.
const MIGRATION_TYPE = /^dev\.cdeventsx\.pier-migration\.applied\.\d+\.\d+\.\d+$/;
export const isMigrationType = (type: string) => MIGRATION_TYPE.test(type);

const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const text = (v: unknown) => typeof v === "string" && v !== "";

/** What a migration event lacks for Pier to attach it to a deployment, or null. */
export function migrationProblem(event: { subject: { content?: unknown } }): { field: string; reason: string } | null {
  const content = obj(event.subject.content);
  for (const field of ["service", "environment", "version"])
    if (!text(content[field])) return { field: `subject.content.${field}`, reason: `subject.content.${field} is required for a migration event` };
  if (!text(obj(content.migration).id)) return { field: "subject.content.migration.id", reason: "subject.content.migration.id is required" };
  return null;
}
