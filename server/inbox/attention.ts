// The home page's "what needs your attention" for one user: their own requests (newest first) and where they stand, their teams'
// services' failed deployments and open incidents, and recent delivery activity on those services. (Approvals
// waiting for them come from the approvals inbox itself, which the page calls alongside.) Reads only.
import type { DeploymentStatus } from "@/generated/prisma/enums";
import type { Db } from "../db";
import type { SessionUser } from "../identity/roles";

const FAILURE_WINDOW_MS = 14 * 86_400_000;
const LIST_LIMIT = 8;
const FAILED: DeploymentStatus[] = ["failed", "rolled_back"];

export async function attentionFor(db: Db, user: Pick<SessionUser, "id" | "teamIds">, now = new Date()) {
  const k = db.reader;
  const teamIds = user.teamIds.length ? user.teamIds : ["-"];
  const requestColumns = [
    "r.id",
    "r.version",
    "r.status",
    "r.createdAt",
    "r.updatedAt",
    "r.finishedAt",
    "s.slug as serviceSlug",
    "s.name as serviceName",
    "e.name as environmentName",
  ] as const;
  const base = () =>
    k
      .selectFrom("DeploymentRequest as r")
      .innerJoin("Service as s", "s.id", "r.serviceId")
      .innerJoin("Environment as e", "e.id", "r.environmentId")
      .innerJoin("User as u", "u.id", "r.requesterId");
  const [myRequests, failures, incidents, activity] = await Promise.all([
    base().select(requestColumns).where("r.requesterId", "=", user.id).orderBy("r.createdAt", "desc").orderBy("r.id", "desc").limit(LIST_LIMIT).execute(),
    base()
      .select([...requestColumns, "u.name as requesterName"])
      .where("s.teamId", "in", teamIds)
      .where("r.status", "in", FAILED)
      .where("r.finishedAt", ">=", new Date(now.getTime() - FAILURE_WINDOW_MS))
      .orderBy("r.finishedAt", "desc")
      .limit(LIST_LIMIT)
      .execute(),
    k
      .selectFrom("Incident as i")
      .innerJoin("Service as s", "s.id", "i.serviceId")
      .leftJoin("Environment as e", "e.id", "i.environmentId")
      .select(["i.id", "i.title", "i.severity", "i.detectedAt", "s.slug as serviceSlug", "s.name as serviceName", "e.name as environmentName"])
      .where("s.teamId", "in", teamIds)
      .where("i.resolvedAt", "is", null)
      .orderBy("i.detectedAt", "desc")
      .limit(LIST_LIMIT)
      .execute(),
    base()
      .select([...requestColumns, "u.name as requesterName"])
      .where("s.teamId", "in", teamIds)
      .orderBy("r.createdAt", "desc")
      .orderBy("r.id", "desc")
      .limit(LIST_LIMIT)
      .execute(),
  ]);
  return { myRequests, failures, incidents, activity, failureWindowDays: FAILURE_WINDOW_MS / 86_400_000 };
}
