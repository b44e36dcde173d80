import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["host/**/*.test.ts", "kernel-as/tests/**/*.test.ts", "web/**/*.test.ts", "user/**/*.test.ts", "test/**/*.test.ts", "scripts/**/*.test.ts"],
    exclude: ["e2e/**", "node_modules/**", "dist/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
