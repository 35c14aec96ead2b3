// The catalog's tRPC router: validates input and calls server/catalog logic. Reading needs a signed-in user;
// editing is checked per service (admins and members of the owning team); environments are admin-only.
import { z } from "zod";
import { authedProcedure, roleProcedure, router } from "../trpc";
import { importCatalogYaml } from "./backstage-import";
import { catalogImportStatus } from "./import-jobs";
import { exportCatalogYaml, exportServiceYaml } from "./backstage-export";
import { catalogFacets, catalogSearchInput, searchCatalog } from "./catalog-search";
import { createEnvironment, createEnvironmentInput, listEnvironments } from "./environments";
import { impactOfSlug } from "./impact";
import { ownershipHealth } from "./ownership-health";
import { addDependency, createService, deprecateService, removeDependency, updateService } from "./service-editing";
import { createServiceInput, dependencyInput, updateServiceInput } from "./service-input";
import { incidentAliasesInput, setIncidentAliases } from "./incident-aliases";
import { listToolMappings, mapToolProject, toolMappingInput, toolUnmappingInput, unmapToolProject } from "./tool-mappings";
import { serviceDetail, servicePicker, teamPage } from "./service-pages";
import { entityKindCounts, entityPage, listEntities, unresolvedRelations } from "./entity-pages";
import { createTeam, createTeamInput, removeTeamMember, setTeamMember, teamMemberInput, updateTeam, updateTeamInput } from "./team-editing";
import { locationsRouter } from "./discovery/router";
import { isServiceStarred, serviceStarInput, setServiceStar } from "./stars";
import { catalogSettingsInput, setCatalogSettings, userMappingOverview } from "./user-mapping";

const slugInput = z.object({ slug: z.string().trim().min(1).max(100) });
const IMPORT_ID = /^[A-Za-z0-9]{1,40}$/;
const importIdInput = z.object({ id: z.string().trim().regex(IMPORT_ID, "Not a catalog import id") });

export const catalogRouter = router({
  // Registered locations (discovery) and orphaned entities: ./discovery/router.ts.
  locations: locationsRouter,
  search: authedProcedure.input(catalogSearchInput).query(({ ctx, input }) => searchCatalog(ctx.db, input, ctx.user)),
  // Stars are the caller's own: any signed-in user stars and reads only their own.
  setStar: authedProcedure.input(serviceStarInput).mutation(({ ctx, input }) => setServiceStar(ctx.db, ctx.user, input)),
  starred: authedProcedure.input(slugInput).query(async ({ ctx, input }) => ({ starred: await isServiceStarred(ctx.db, ctx.user, input.slug) })),
  facets: authedProcedure.query(({ ctx }) => catalogFacets(ctx.db)),
  picker: authedProcedure.input(z.object({ q: z.string().trim().max(100).default("") })).query(({ ctx, input }) => servicePicker(ctx.db, input.q)),

  service: authedProcedure.input(slugInput).query(({ ctx, input }) => serviceDetail(ctx.db, input.slug, ctx.user)),
  impact: authedProcedure
    .input(slugInput.extend({ limit: z.number().int().min(1).max(5000).default(1000) }))
    .query(({ ctx, input }) => impactOfSlug(ctx.db, input.slug, input.limit)),
  team: authedProcedure.input(slugInput).query(({ ctx, input }) => teamPage(ctx.db, input.slug)),
  ownershipHealth: authedProcedure.query(({ ctx }) => ownershipHealth(ctx.db)),

  create: authedProcedure.input(createServiceInput).mutation(({ ctx, input }) => createService(ctx.db, ctx.user, input)),
  update: authedProcedure.input(updateServiceInput).mutation(({ ctx, input }) => updateService(ctx.db, ctx.user, input)),
  /** Owners and admins: the ids/names incident tools use for the service (server/catalog/incident-aliases.ts). */
  setIncidentAliases: authedProcedure.input(incidentAliasesInput).mutation(({ ctx, input }) => setIncidentAliases(ctx.db, ctx.user, input)),
  /** Admins: which service a delivery tool's project feeds (server/catalog/tool-mappings.ts; Admin → Integrations). */
  toolMappings: roleProcedure("admin").query(({ ctx }) => listToolMappings(ctx.db)),
  mapToolProject: roleProcedure("admin")
    .input(toolMappingInput)
    .mutation(({ ctx, input }) => mapToolProject(ctx.db, ctx.user, input)),
  unmapToolProject: roleProcedure("admin")
    .input(toolUnmappingInput)
    .mutation(({ ctx, input }) => unmapToolProject(ctx.db, ctx.user, input)),
  deprecate: authedProcedure.input(slugInput).mutation(({ ctx, input }) => deprecateService(ctx.db, ctx.user, input.slug)),
  addDependency: authedProcedure.input(dependencyInput).mutation(({ ctx, input }) => addDependency(ctx.db, ctx.user, input)),
  removeDependency: authedProcedure
    .input(z.object({ fromSlug: z.string().min(1), toSlug: z.string().min(1) }))
    .mutation(({ ctx, input }) => removeDependency(ctx.db, ctx.user, input)),

  // Teams: admins create and edit them and their members.
  createTeam: roleProcedure("admin")
    .input(createTeamInput)
    .mutation(({ ctx, input }) => createTeam(ctx.db, ctx.user, input)),
  updateTeam: roleProcedure("admin")
    .input(updateTeamInput)
    .mutation(({ ctx, input }) => updateTeam(ctx.db, ctx.user, input)),
  setTeamMember: roleProcedure("admin")
    .input(teamMemberInput)
    .mutation(({ ctx, input }) => setTeamMember(ctx.db, ctx.user, input)),
  removeTeamMember: roleProcedure("admin")
    .input(z.object({ slug: z.string().trim().min(1).max(63), userId: z.string().trim().min(1).max(40) }))
    .mutation(({ ctx, input }) => removeTeamMember(ctx.db, ctx.user, input)),

  // "Map catalog Users to Pier accounts by email" (./user-mapping.ts): admins read and change it on /admin/users.
  userMapping: roleProcedure("admin").query(({ ctx }) => userMappingOverview(ctx.db.kysely)),
  setUserMapping: roleProcedure("admin")
    .input(catalogSettingsInput)
    .mutation(({ ctx, input }) => setCatalogSettings(ctx.db, ctx.user, input)),

  environments: authedProcedure.query(({ ctx }) => listEnvironments(ctx.db)),
  createEnvironment: roleProcedure("admin")
    .input(createEnvironmentInput)
    .mutation(({ ctx, input }) => createEnvironment(ctx.db, ctx.user, input)),

  // Imported Backstage entities (any signed-in user may read the catalog).
  entity: authedProcedure
    .input(
      z.object({
        kind: z.string().trim().min(1).max(63),
        namespace: z.string().trim().min(1).max(63).default("default"),
        name: z.string().trim().min(1).max(63),
      }),
    )
    .query(({ ctx, input }) => entityPage(ctx.db.kysely, input)),
  entities: authedProcedure
    .input(z.object({ kind: z.string().trim().max(63).optional() }))
    .query(({ ctx, input }) => listEntities(ctx.db.kysely, input.kind || undefined)),
  unresolvedRelations: authedProcedure.query(({ ctx }) => unresolvedRelations(ctx.db.kysely)),
  entityKindCounts: authedProcedure.query(({ ctx }) => entityKindCounts(ctx.db.kysely)),

  importYaml: authedProcedure
    .input(
      z.object({
        yaml: z.string().min(1, "Paste or upload a catalog-info.yaml"),
        dryRun: z.boolean().default(false),
        // Refuse the whole file when one entity is refused (for CI pipelines); by default each entity stands alone.
        atomic: z.boolean().default(false),
        // The imported file's path in the bundle, and the bundle's other files ($text/$json/$yaml, Location targets).
        path: z.string().trim().min(1).max(500).optional(),
        files: z
          .array(z.object({ path: z.string().trim().min(1).max(500), text: z.string().max(5_000_000) }))
          .max(200)
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => importCatalogYaml(ctx.db, ctx.user, input.yaml, input)),
  // A background import's progress (started with POST /api/catalog/import?async=1): its requester and admins.
  importJob: authedProcedure.input(importIdInput).query(({ ctx, input }) => catalogImportStatus(ctx.db, ctx.user, input.id)),
  exportYaml: authedProcedure
    .input(z.object({ slug: z.string().trim().min(1).optional() }))
    .query(async ({ ctx, input }) => ({ yaml: input.slug ? await exportServiceYaml(ctx.db, input.slug) : await exportCatalogYaml(ctx.db) })),
});
