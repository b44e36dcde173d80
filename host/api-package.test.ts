// The `keel` package as a consumer gets it: the bundle (scripts/build-api.mjs)
// imported by name from plain Node, and every `// example:` in
// docs/embedding.md run as written, its output checked against the block
// the document shows below it. The scripts live in a fresh folder inside
// this checkout, so "keel" resolves to this package (a package may import
// itself by name through its `exports`).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
let dir = "";

beforeAll(() => {
  execFileSync(process.execPath, ["scripts/build-api.mjs"], { cwd: root });
  dir = mkdtempSync(join(root, "build", "api-examples-"));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runScript(name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return execFileSync(process.execPath, [file], { cwd: dir, encoding: "utf8", timeout: 60_000 });
}

/** The runnable examples: a ```js block opening with `// example: NAME`, and the ```text block after it. */
function docExamples(markdown: string): { name: string; code: string; output: string }[] {
  const examples: { name: string; code: string; output: string }[] = [];
  const block = /```js\n\/\/ example: (\S+)\n([\s\S]*?)```\s*```text\n([\s\S]*?)```/g;
  for (const m of markdown.matchAll(block)) examples.push({ name: m[1]!, code: m[2]!, output: m[3]! });
  return examples;
}

describe("the keel package from plain Node", () => {
  it("imports createMachine by the package's name and runs echo hi", () => {
    const out = runScript("echo.mjs", [
      'import { createMachine } from "keel";',
      "const machine = await createMachine();",
      'process.stdout.write(JSON.stringify(await machine.run("echo hi")));',
      "machine.stop();",
    ].join("\n"));
    expect(JSON.parse(out)).toBe("hi\n");
  });

  const markdown = readFileSync(join(root, "docs", "embedding.md"), "utf8");
  const examples = docExamples(markdown);

  it("finds the examples in docs/embedding.md", () => {
    expect(examples.map((e) => e.name)).toEqual(["hello.mjs", "screen.mjs", "monitor.mjs", "snapshot.mjs"]);
  });

  for (const example of examples) {
    it(`runs docs/embedding.md's ${example.name} and prints what the document shows`, () => {
      expect(runScript(example.name, example.code)).toBe(example.output);
    });
  }
});
