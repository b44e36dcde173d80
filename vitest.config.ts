import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";
import { NODE_WASM_FLAGS } from "./host/node/wasm-flags.mjs";

export default defineConfig({
  // `import ... from "keel"` (the package's own exports) resolves to the
  // API's source, host/api.ts, rather than its bundle in build/keel/
  // (scripts/build-api.mjs), so tests see the code as it is now. Tests that
  // run plain Node on the bundle build it first (host/api-package.test.ts).
  ssr: { resolve: { conditions: ["keel-source", ...defaultServerConditions] } },
  test: {
    include: ["host/**/*.test.ts", "kernel-as/tests/**/*.test.ts", "web/**/*.test.ts", "user/**/*.test.ts", "test/**/*.test.ts", "scripts/**/*.test.ts"],
    exclude: ["e2e/**", "node_modules/**", "dist/**"],
    // --no-liftoff in every test worker: Node 20's Liftoff miscompiles
    // memory.atomic.wait (host/node/wasm-flags.mjs, docs/tools.md).
    execArgv: [...NODE_WASM_FLAGS],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
