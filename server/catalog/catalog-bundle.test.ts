// Placeholders and bundle paths (./catalog-bundle.ts): resolved relative to the file, never outside the bundle.
import { describe, expect, it } from "vitest";
import { bundlePath, resolveInBundle, resolvePlaceholders } from "./catalog-bundle";

const bundle = {
  files: new Map([
    ["apis/petstore.yaml", "openapi: 3.0.0\ninfo: { title: Petstore }\n"],
    ["apis/broken.json", "{ not json"],
  ]),
};

describe("catalog bundle", () => {
  it("resolves $yaml and $text relative to the file, leaving other values alone", () => {
    const value = { spec: { definition: { $text: "../apis/petstore.yaml" }, parsed: { $yaml: "../apis/petstore.yaml" }, list: [1, "x", null] } };
    expect(resolvePlaceholders(value, "catalog/catalog-info.yaml", bundle)).toEqual({
      spec: { definition: "openapi: 3.0.0\ninfo: { title: Petstore }\n", parsed: { openapi: "3.0.0", info: { title: "Petstore" } }, list: [1, "x", null] },
    });
  });

  it("refuses unknown placeholders, unreadable and missing files, URLs and paths outside the bundle", () => {
    const at = "catalog-info.yaml";
    expect(() => resolvePlaceholders({ $env: "X" }, at, bundle)).toThrow(/Unknown placeholder \$env/);
    expect(() => resolvePlaceholders({ $text: 3 }, at, bundle)).toThrow(/must name a file/);
    expect(() => resolvePlaceholders({ $json: "apis/broken.json" }, at, bundle)).toThrow(/apis\/broken.json cannot be read/);
    expect(() => resolvePlaceholders({ $text: "apis/none.txt" }, at, bundle)).toThrow(/is not in the uploaded bundle/);
    expect(() => resolveInBundle(at, "https://example.com/x.yaml")).toThrow(/is a URL/);
    expect(() => resolveInBundle(at, "/etc/passwd")).toThrow(/absolute path/);
    expect(() => resolveInBundle("a/b.yaml", "../../c.yaml")).toThrow(/outside the uploaded bundle/);
    expect(resolveInBundle("a/b.yaml", "./c/../d.yaml")).toBe("a/d.yaml");
    expect(bundlePath("/x/./y.yaml")).toBe("x/y.yaml");
    expect(() => bundlePath("../y.yaml")).toThrow(/not a path inside the bundle/);
  });
});
