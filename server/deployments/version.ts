// Versions a deployment may name: a semver release, a git commit sha, a container image tag or a git ref.
// Parsing them lets the risk score judge the size of a jump (major/minor/patch) where that is knowable.
export type ParsedVersion = { kind: "semver"; major: number; minor: number; patch: number; prerelease: string | null } | { kind: "sha" | "tag" | "ref" };

const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const SHA = /^[0-9a-f]{7,40}$/;
// Docker's tag grammar: up to 128 characters of word characters, dots and dashes, not starting with . or -.
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// A git ref such as release/2026-11 or refs/tags/v1.2.3 (the subset git check-ref-format accepts that people use).
const GIT_REF = /^(?!\/)(?!.*\/\/)(?!.*\.\.)(?!.*@\{)(?!.*\.lock$)(?!.*\/$)[A-Za-z0-9._\/-]{1,200}$/;

export function parseVersion(raw: string): ParsedVersion | null {
  const v = raw.trim();
  const m = SEMVER.exec(v);
  if (m) return { kind: "semver", major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ?? null };
  if (SHA.test(v)) return { kind: "sha" };
  if (IMAGE_TAG.test(v)) return { kind: "tag" };
  if (GIT_REF.test(v) && !v.startsWith("-")) return { kind: "ref" };
  return null;
}

export const VERSION_HINT = "Use a semver release (1.4.2 or v1.4.2), a commit sha, an image tag (build-512) or a git ref (release/2026-11)";

export type VersionJump = "major" | "minor" | "patch" | "same" | "downgrade" | "first" | "unknown";

/** How far `to` moves from `from`; "unknown" when either is not semver. */
export function versionJump(from: string | null | undefined, to: string): VersionJump {
  if (!from) return "first";
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (a?.kind !== "semver" || b?.kind !== "semver") return from === to ? "same" : "unknown";
  const cmp = [b.major - a.major, b.minor - a.minor, b.patch - a.patch].find((d) => d !== 0) ?? 0;
  if (cmp < 0) return "downgrade";
  if (b.major !== a.major) return "major";
  if (b.minor !== a.minor) return "minor";
  if (b.patch !== a.patch || b.prerelease !== a.prerelease) return "patch";
  return "same";
}
