// Bundles the embeddable Machine API (host/api.ts, docs/embedding.md) into
// build/keel/api.js: the JavaScript behind the `keel` package's `import`
// export, for Node and bundlers that do not compile TypeScript. The types
// come from host/api.ts itself (the `types` export). One ES module; Node's
// built-ins and xterm.js are left as imports (each is loaded only when used).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
await build({
  absWorkingDir: root,
  entryPoints: ["host/api.ts"],
  outfile: "build/keel/api.js",
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["node:*", "@xterm/xterm"],
  sourcemap: true,
  logLevel: "warning",
});
