// The vendors' real payloads (shared/fixtures, see its SOURCES.md) sit next to the checkout. Found by walking up from
// here, so tests run the same from the main checkout, from a clean clone beside it and from a worktree nested one level
// deeper; PIER_SHARED_FIXTURES names another place, and /work/shared/fixtures is the last resort (a clone elsewhere).
import { existsSync } from "node:fs";
import path from "node:path";

function findFixtures(): string {
  if (process.env.PIER_SHARED_FIXTURES) return process.env.PIER_SHARED_FIXTURES;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "shared", "fixtures");
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return "/work/shared/fixtures";
}

export const SHARED_FIXTURES = findFixtures();
