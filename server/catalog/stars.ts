// Stars: the services a user marked to find again (the catalog's "Starred" view, the star on service and entity
// pages). Personal: every signed-in user stars for themself, and no one reads or changes another's stars. A star is
// a change of that user's data, so it is audited like one. The one writer of ServiceStar.
import { z } from "zod";
import { recordAudit } from "../audit/audit-log";
import { transaction, type Db } from "../db";
import { notFound } from "../errors";
import { actorOf } from "../identity/access";
import type { SessionUser } from "../identity/roles";

export const serviceStarInput = z.object({ slug: z.string().trim().min(1).max(100), starred: z.boolean() });

/** Stars or unstars a service for `user`; doing what is already done changes (and audits) nothing. */
export async function setServiceStar(db: Db, user: SessionUser, input: z.output<typeof serviceStarInput>) {
  return transaction(db, async (tx) => {
    const service = await tx.selectFrom("Service").select(["id", "slug"]).where("slug", "=", input.slug).executeTakeFirst();
    if (!service) throw notFound(`Service "${input.slug}"`);
    const changed = input.starred
      ? await tx
          .insertInto("ServiceStar")
          .values({ userId: user.id, serviceId: service.id })
          .onConflict((oc) => oc.doNothing())
          .returning("serviceId")
          .executeTakeFirst()
      : await tx.deleteFrom("ServiceStar").where("userId", "=", user.id).where("serviceId", "=", service.id).returning("serviceId").executeTakeFirst();
    if (changed)
      recordAudit(tx, {
        actor: actorOf(user),
        action: input.starred ? "catalog.service_starred" : "catalog.service_unstarred",
        subjectType: "service",
        subjectId: service.id,
        before: { starred: !input.starred },
        after: { starred: input.starred },
      });
    return { slug: service.slug, starred: input.starred };
  });
}

/** Whether `user` starred the service with this slug (false when there is none). */
export async function isServiceStarred(db: Db, user: SessionUser, slug: string): Promise<boolean> {
  const row = await db.kysely
    .selectFrom("ServiceStar as st")
    .innerJoin("Service as s", "s.id", "st.serviceId")
    .select("st.serviceId")
    .where("st.userId", "=", user.id)
    .where("s.slug", "=", slug)
    .executeTakeFirst();
  return !!row;
}
