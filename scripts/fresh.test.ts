// Incremental builds: an output is rebuilt exactly when its inputs' content
// (or the build's settings) changed, whatever the timestamps say.
import { describe, expect, it } from "vitest";
import { mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
// @ts-expect-error: a plain ES module of the build scripts, without types
import { filesUnder, inputDigest, isFresh, recordStamp } from "./fresh.mjs";

describe("content stamps", () => {
  it("are fresh until an input's bytes or the settings change, not when only a timestamp does", () => {
    const dir = join("build", `fresh-test-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, "src", "sub"), { recursive: true });
    try {
      writeFileSync(join(dir, "src", "a.ts"), "export const a = 1;\n");
      writeFileSync(join(dir, "src", "sub", "b.ts"), "export const b = 2;\n");
      const output = join(dir, "out.wasm");
      const inputs = (): string[] => filesUnder(join(dir, "src"));
      expect(inputs().map((p: string) => p.slice(dir.length + 1))).toEqual(["src/a.ts", "src/sub/b.ts"]);

      const digest = inputDigest(inputs(), { flags: ["-O3"] });
      expect(isFresh(output, digest)).toBe(false); // never built
      writeFileSync(output, "wasm");
      expect(isFresh(output, digest)).toBe(false); // built, but no stamp
      recordStamp(output, digest);
      expect(isFresh(output, digest)).toBe(true);

      const later = new Date(Date.now() + 60_000);
      utimesSync(join(dir, "src", "a.ts"), later, later);
      expect(isFresh(output, inputDigest(inputs(), { flags: ["-O3"] }))).toBe(true);
      expect(isFresh(output, inputDigest(inputs(), { flags: ["-O2"] }))).toBe(false);

      writeFileSync(join(dir, "src", "sub", "b.ts"), "export const b = 3;\n");
      expect(isFresh(output, inputDigest(inputs(), { flags: ["-O3"] }))).toBe(false);
      writeFileSync(join(dir, "src", "sub", "c.ts"), "");
      writeFileSync(join(dir, "src", "sub", "b.ts"), "export const b = 2;\n");
      expect(isFresh(output, inputDigest(inputs(), { flags: ["-O3"] }))).toBe(false); // a new file
      rmSync(output);
      expect(isFresh(output, digest)).toBe(false); // output deleted
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
