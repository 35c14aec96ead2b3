-- AlterTable
ALTER TABLE "DeploymentRequest" ADD COLUMN     "approvedBy" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- Existing requests: the approvals recorded so far, oldest first.
UPDATE "DeploymentRequest" r SET "approvedBy" = a.ids
  FROM (SELECT "requestId", array_agg("approverId" ORDER BY "createdAt") AS ids FROM "Approval" WHERE "decision" = 'approve' GROUP BY "requestId") a
 WHERE r."id" = a."requestId";
