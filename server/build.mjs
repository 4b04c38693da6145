// Bundles the server (and @clinic/shared) into dist/main.js; npm dependencies stay external.
import { build } from "esbuild";

await build({
  entryPoints: ["src/main.ts"],
  outfile: "dist/main.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  sourcemap: true,
  packages: "external",
  // Workspace packages are source, not installed builds: bundle them in.
  alias: { "@clinic/shared": "../shared/src/index.ts" },
  logLevel: "warning",
});
