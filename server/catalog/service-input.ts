// What a service create/edit form may carry, validated once for the router, the import and the tests.
import { z } from "zod";
import { httpUrl } from "../platform/input-rules";

export const SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const LIFECYCLES = ["experimental", "production", "deprecated"] as const;
const DEPENDENCY_KINDS = ["runtime", "build", "data"] as const;

const optionalUrl = z.union([httpUrl, z.literal("").transform(() => null), z.null()]).optional();

const slugSchema = z
  .string()
  .trim()
  .min(2, "At least 2 characters")
  .max(63, "At most 63 characters")
  .regex(SLUG_RE, "Lowercase letters, digits and single dashes (e.g. payments-api)");

const linkSchema = z.object({ title: z.string().trim().min(1, "Give the link a title").max(100), url: httpUrl });

const tagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(63)
  // Backstage's tag rule (server/catalog/backstage-format.ts isValidTag), so every tag exports.
  .regex(/^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$/, "Tags are lowercase words joined by single dashes: letters, digits, : + #");

// Without defaults: an edit must only touch the fields it names (zod 4 applies defaults inside .partial()).
const serviceFields = {
  name: z.string().trim().min(1, "Name is required").max(100, "At most 100 characters"),
  description: z.string().trim().max(2000, "At most 2000 characters"),
  teamSlug: z.string().trim().min(1, "Choose the owning team"),
  tier: z.coerce.number().int().min(1, "Tier is 1, 2 or 3").max(3, "Tier is 1, 2 or 3"),
  lifecycle: z.enum(LIFECYCLES),
  type: z
    .string()
    .trim()
    .toLowerCase()
    .min(1, "Type is required")
    .max(40)
    .regex(/^[a-z0-9-]+$/, "Lowercase letters, digits and dashes"),
  language: z.union([z.string().trim().max(40), z.null()]),
  repositoryUrl: optionalUrl,
  runbookUrl: optionalUrl,
  links: z.array(linkSchema).max(20),
  tags: z.array(tagSchema).max(30),
  system: z.union([z.string().trim().max(63), z.null()]),
};

export const createServiceInput = z.object({
  slug: slugSchema,
  ...serviceFields,
  description: serviceFields.description.default(""),
  tier: serviceFields.tier.default(2),
  lifecycle: serviceFields.lifecycle.default("experimental"),
  type: serviceFields.type.default("service"),
  language: serviceFields.language.optional(),
  links: serviceFields.links.default([]),
  tags: serviceFields.tags.default([]),
  system: serviceFields.system.optional(),
});
export type CreateServiceInput = z.input<typeof createServiceInput>;

/** An edit names every field it changes they change; the slug is the service's identity and stays. */
export const updateServiceInput = z.object({
  slug: z.string().min(1),
  changes: z.object(serviceFields).partial(),
});
export type UpdateServiceInput = z.input<typeof updateServiceInput>;

export const dependencyInput = z.object({
  fromSlug: z.string().min(1),
  toSlug: z.string().min(1, "Choose the service it depends on"),
  kind: z.enum(DEPENDENCY_KINDS).default("runtime"),
});
export type DependencyInput = z.input<typeof dependencyInput>;
