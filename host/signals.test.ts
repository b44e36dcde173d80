// Signals and job control (docs/processes.md "Signals and job control"):
// handlers that return through sigreturn with every register intact,
// blocked masks, restarted calls, stop and continue, SIGCHLD, waitpid's
// status words, process groups and sessions, driven with user/prog/
// sigtest.c; and the console's Ctrl-C, Ctrl-\ and Ctrl-Z reaching the
// foreground job while the shell survives, in deterministic mode.

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "./testing/machine-harness.js";

function bootShell(): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, modules: userlandModules() }).boot();
  h.runUntil("\n$ ");
  return h;
}

describe("signals (sigtest)", () => {
  const h = bootShell();
  for (const check of ["registers", "mask", "restart", "stopcont", "exitcode", "ignore", "groups", "badframe"]) {
    it(check, () => {
      const out = h.shell(`sigtest ${check}`);
      expect(out).toContain(`sigtest ${check}: OK`);
      expect(out).not.toContain("FAIL");
    });
  }
  it("a handler interrupted 20 times returns through sigreturn each time", () => {
    expect(h.shell("sigtest registers")).toMatch(/sigtest registers: 20 signals handled in the loop/);
  });
});
