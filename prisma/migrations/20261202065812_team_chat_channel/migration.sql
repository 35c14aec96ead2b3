-- AlterTable
ALTER TABLE "Team" ADD COLUMN     "chatChannel" TEXT;
