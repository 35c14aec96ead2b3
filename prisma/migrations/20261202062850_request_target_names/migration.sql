-- AlterTable
ALTER TABLE "DeploymentRequest" ADD COLUMN     "targetNames" TEXT[] DEFAULT ARRAY[]::TEXT[];
