// Every stylesheet of the page is whole: braces balance, so no rule swallows
// the ones after it. Vite joins the sheets into one file, so one unclosed
// block in web/panels/panels.css once hid the rules of web/styles.css (the
// status-bar tips showed for good and the phone layout was lost).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const WEB = new URL(".", import.meta.url).pathname;

function sheets(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sheets(join(dir, e.name)) : e.name.endsWith(".css") ? [join(dir, e.name)] : []);
}

/** The first place a block closes that never opened, or the depth left open at the end (0: balanced). */
function braceProblem(css: string): string | null {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "").replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth < 0) return `a "}" that closes nothing, line ${text.slice(0, i).split("\n").length}`;
  }
  return depth === 0 ? null : `${depth} block(s) never closed`;
}

describe("the page's stylesheets", () => {
  const files = sheets(WEB);
  it("are found", () => expect(files.length).toBeGreaterThan(2));
  it.each(files.map((f) => [f.slice(WEB.length)]))("%s balances its braces", (name) => {
    expect(braceProblem(readFileSync(join(WEB, name), "utf8"))).toBeNull();
  });
  it("the check finds an unclosed and a stray block", () => {
    expect(braceProblem(".a { color: red;\n.b { x: y; }")).toMatch(/never closed/);
    expect(braceProblem(".a { }\n}")).toMatch(/closes nothing, line 2/);
    expect(braceProblem('.a::before { content: "{"; } /* } */')).toBeNull();
  });
});
