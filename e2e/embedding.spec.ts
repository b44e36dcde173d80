// The Machine API on a page of its own (docs/embedding.md "On a page"): the
// `keel` package's bundle (scripts/build-api.mjs), the kernel and the boot
// file system served as plain files, xterm.js through an import map, as a
// page that embeds Keel would have them. The machine runs on the page's own
// thread; attachConsole(element) opens a terminal that shows the console
// and takes keys.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "@playwright/test";

const root = fileURLToPath(new URL("..", import.meta.url));

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>embedded keel</title>
<link rel="stylesheet" href="xterm.css">
<script type="importmap">{ "imports": { "@xterm/xterm": "./xterm.mjs" } }</script>
<div id="console"></div>`;

test("a page of its own runs a machine with the API and attaches an xterm.js console to an element", async ({ page }) => {
  test.setTimeout(90_000);
  execFileSync(process.execPath, ["scripts/build-api.mjs"], { cwd: root });
  const files: Record<string, { path: string; type: string }> = {
    "keel.js": { path: "build/keel/api.js", type: "text/javascript" },
    "kernel.wasm": { path: "build/kernel.wasm", type: "application/wasm" },
    "bootfs.img": { path: "user/bin/bootfs.img", type: "application/octet-stream" },
    "xterm.mjs": { path: "node_modules/@xterm/xterm/lib/xterm.mjs", type: "text/javascript" },
    "xterm.css": { path: "node_modules/@xterm/xterm/css/xterm.css", type: "text/css" },
  };
  await page.route("**/__embed__/**", (route) => {
    const name = new URL(route.request().url()).pathname.split("/").pop() ?? "";
    if (name === "index.html") return route.fulfill({ contentType: "text/html", body: PAGE });
    const file = files[name];
    if (file === undefined) return route.fulfill({ status: 404, body: "" });
    return route.fulfill({ contentType: file.type, body: readFileSync(`${root}/${file.path}`) });
  });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto("./__embed__/index.html");

  // What docs/embedding.md shows, with the URLs this page serves.
  const reply = await page.evaluate(async () => {
    const keel = await import(new URL("keel.js", location.href).href);
    const machine = await keel.createMachine({ kernel: "kernel.wasm", userland: "bootfs.img", clock: "realtime" });
    const attached = await machine.attachConsole(document.getElementById("console"));
    (window as unknown as { embedded: unknown }).embedded = { machine, attached };
    return machine.run("echo hi from the page");
  });
  expect(reply).toBe("hi from the page\n");
  // The terminal shows the console...
  await expect(page.locator("#console .xterm-rows")).toContainText("hi from the page");
  // ...and what is typed into it reaches the machine.
  await page.locator("#console").click();
  await page.keyboard.type("echo typed-in-xterm\r");
  await expect.poll(() => page.evaluate(() => (window as unknown as { embedded: { machine: { output: string } } }).embedded.machine.output))
    .toContain("typed-in-xterm\n$ ");
  await expect(page.locator("#console .xterm-rows")).toContainText("typed-in-xterm");
  // A kernel that cannot be fetched is refused with the address and the HTTP status.
  const refused = await page.evaluate(async () => {
    const keel = await import(new URL("keel.js", location.href).href);
    return keel.createMachine({ kernel: "missing.wasm", userland: "bootfs.img" }).then(() => "created", (error: Error) => error.message);
  });
  expect(refused).toMatch(/fetching the kernel from missing\.wasm failed: HTTP 404/);
  expect(errors).toEqual([]);
});
