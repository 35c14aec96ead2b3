// The vendors' real payloads (/work/shared/fixtures, see its SOURCES.md) sit next to the checkout: found by walking up
// from here, so tests run the same from the main checkout and from a worktree nested one level deeper.
import { existsSync } from "node:fs";
import path from "node:path";

function findFixtures(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "shared", "fixtures");
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.join(__dirname, "..", "..", "..", "shared", "fixtures");
}

export const SHARED_FIXTURES = findFixtures();
