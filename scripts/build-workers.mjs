// Bundles the worker process, the migration runner and the demo seed into self-contained CommonJS files for the
// container image (Dockerfile): dist/{workers,migrate,seed}.cjs need no node_modules, no tsx, no TypeScript at run time.
// Prisma's query compiler (WebAssembly, base64 in a .mjs) and every other dependency are inlined; the image ships
// prisma/migrations beside dist/ (the migrate bundle reads ../prisma/migrations).
// `npm run build:workers`; the image runs `node dist/workers.cjs`, `node dist/migrate.cjs`, `node dist/seed.cjs`.
import { build } from "esbuild";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
// Output directory: dist/ by default; test/container-image.test.ts builds into a scratch image-like layout.
const outdir = path.resolve(process.argv[2] ?? path.join(root, "dist"));

await build({
  absWorkingDir: root,
  entryPoints: { workers: "workers/index.ts", migrate: "scripts/migrate.ts", seed: "prisma/seed.ts" },
  outdir,
  outExtension: { ".js": ".cjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: "linked",
  // tsconfig.json's "@/…" paths are resolved by esbuild itself.
  tsconfig: "tsconfig.json",
  logLevel: "warning",
  // The generated Prisma client reads import.meta.url (ESM); in a CommonJS bundle it is this file's own URL.
  banner: { js: 'const __pierImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { "import.meta.url": "__pierImportMetaUrl" },
  // Optional native/alternative back-ends the code never loads.
  external: ["pg-native", "bufferutil", "utf-8-validate"],
});
console.log(`bundled workers.cjs, migrate.cjs, seed.cjs into ${path.relative(root, outdir) || "."}`);
