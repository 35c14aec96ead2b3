// The version in an artifact package URL ("pkg:oci/app@sha256%3Aab…?repository_url=…" → "sha256:ab…",
// "pkg:npm/x@1.2.3" → "1.2.3"): the purl spec percent-encodes the version and puts qualifiers after "?" and a
// subpath after "#"; a malformed escape keeps the text as sent. In the platform because ingest (CDEvents translation) and deployments
// (the promotion gate) both read artifact versions, and neither may depend on the other.
export function purlVersion(artifactId: unknown): string {
  if (typeof artifactId !== "string") return "";
  const withoutTail = artifactId.split(/[?#]/, 1)[0];
  const at = withoutTail.lastIndexOf("@");
  const version = at >= 0 ? withoutTail.slice(at + 1) : withoutTail;
  try {
    return decodeURIComponent(version);
  } catch {
    return version;
  }
}
