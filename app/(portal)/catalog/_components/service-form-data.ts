// The service fields both the create and the edit form submit, read the same way from their FormData.
export function serviceFieldsFromForm(f: FormData) {
  const text = (k: string) => String(f.get(k) ?? "");
  return {
    name: text("name"),
    description: text("description"),
    tier: Number(text("tier")),
    lifecycle: text("lifecycle") as "experimental" | "production" | "deprecated",
    type: text("type"),
    language: text("language").trim() || null,
    repositoryUrl: text("repositoryUrl"),
    runbookUrl: text("runbookUrl"),
    tags: text("tags")
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean),
  };
}
