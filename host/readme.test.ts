// Every example README.md gives is run here as written, in the headless
// machine on the shipped disk: the shell's command lines in README's order
// (later ones use the files earlier ones make), then the kernel monitor's;
// and what README pipes into the headless runner, through the runner.
// The page's URL examples are opened in e2e/readme.spec.ts. The examples are
// pulled out of README's text (host/testing/readme-examples.ts), so a new
// one is tested as soon as it is written.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MachineHarness } from "./testing/machine-harness.js";
import { shippedDisk } from "./testing/disk.js";
import { readmeExamples } from "./testing/readme-examples.js";

/** What a command that did not work prints: the shell's and the programs'
 *  ways of saying so. */
const FAILED = /not found|usage:|unknown (command|option)|no such file or directory|syntax error|cannot/i;

describe("README's examples", () => {
  const examples = readmeExamples();

  it("are found in README: shell and monitor lines and page queries", () => {
    // The extraction itself: a README rewritten so that nothing matches
    // would otherwise pass with nothing tested.
    expect(examples.shell).toContain("ls -l");
    expect(examples.shell.length).toBeGreaterThanOrEqual(10);
    expect(examples.monitor).toContain("help");
    expect(examples.queries.length).toBeGreaterThanOrEqual(3);
    expect(examples.piped).toContain("ls\necho hi | wc\n");
  });

  it("what README pipes into the headless runner runs, and the runner exits 0 at the end of the input", () => {
    const tsx = fileURLToPath(new URL("../node_modules/tsx/dist/cli.mjs", import.meta.url));
    const runner = fileURLToPath(new URL("./node/boot.ts", import.meta.url));
    for (const input of examples.piped) {
      const run = spawnSync(process.execPath, [tsx, runner], { input, encoding: "utf8", timeout: 60_000 });
      expect(run.status, `${JSON.stringify(input)}:\n${run.stdout}${run.stderr}`).toBe(0);
      // Piped input is not echoed: each line gets its answer and a prompt after it.
      const lines = input.split("\n").filter((text) => text !== "").length;
      expect(run.stdout.split("\n").filter((text) => text.startsWith("$ ")).length).toBeGreaterThanOrEqual(lines + 1);
      expect(run.stdout).not.toMatch(FAILED);
      if (input === "ls\necho hi | wc\n") expect(run.stdout).toMatch(/^README\s+file[\s\S]*\s1\s+1\s+3\r?$/m);
    }
  });

  it("every shell and monitor example runs as written", () => {
    const h = new MachineHarness({ ramBytes: 128 * 1024 * 1024, disk: shippedDisk() }).boot();
    h.runUntil("\n$ ");
    const replies: Record<string, string> = {};
    // A line's reply ends at the shell's next prompt. Not h.shell(), which
    // wants the prompt last: a background job started above (`capdemo 10 &`)
    // may print after the prompt, and the machine then idles with its lines
    // after the `$ `.
    const shell = (line: string): string => {
      const mark = h.output.length;
      h.machine.input(`${line}\r`);
      return h.runUntil(/\n\$ /, mark);
    };
    for (const line of examples.shell) {
      if (!line.endsWith("&")) {
        replies[line] = shell(line);
        continue;
      }
      // A background job: the shell names it and prompts at once; what the
      // job prints comes later, among the next commands' output.
      const mark = h.output.length;
      h.machine.input(`${line}\r`);
      replies[line] = h.runUntil(/\[\d+\] \d+\n\$ /, mark);
    }
    // The page's ?run= examples are shell lines too.
    for (const query of examples.queries) {
      const run = new URLSearchParams(query).get("run");
      for (const line of run?.split("\n") ?? []) if (line !== "") replies[`?run ${line}`] = shell(line);
    }
    for (const line of examples.monitor) replies[`keel> ${line}`] = h.monitor(line);
    for (const [line, reply] of Object.entries(replies)) {
      // Without the echoed line, and without a test program's passed checks
      // (`ok   ...: denied as expected: ...`).
      const body = reply.split("\n").slice(1).filter((text) => !text.startsWith("ok ")).join("\n");
      expect(body, `${line} printed:\n${reply}`).not.toMatch(FAILED);
      expect(body, `${line} printed:\n${reply}`).not.toMatch(/^FAIL|[1-9]\d* failed/m);
    }
    expect(h.machine.state).not.toBe("panicked");
    // A few outcomes README promises.
    expect(replies["ls -l"]).toMatch(/^-\s+1\s+\d+\s+\d+ README$/m);
    expect(replies["cat README | grep Keel"]).toContain("Keel");
    expect(replies["cksum README"]).toMatch(/\d+ \d+ README/);
    expect(replies["?run ls -l"]).toMatch(/^-\s+1\s+\d+\s+\d+ README$/m);
  });
});
