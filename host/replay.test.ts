// Exact replay on the real kernel: a deterministic session recorded with the
// Recorder (input at odd moments: during boot, keystroke by keystroke, while
// a command runs, after idle wake-ups that did nothing, across a reboot) and
// played back into a new machine gives the same console bytes, VGA cells,
// work, virtual time and run() count. A recording that does not fit the
// machine it is played into is reported as diverged.

import { describe, expect, it } from "vitest";
import type { Machine } from "./machine.js";
import { Recorder, Replayer, checkEvents, type ReplayEvent } from "./replay.js";
import { shippedDisk } from "./testing/disk.js";
import { MachineHarness, userlandModules } from "./testing/machine-harness.js";
import { JIT_DEFAULT_THRESHOLD, type JitSetting } from "./rv/jit-host.js";

const RAM = 64 * 1024 * 1024;

/** jit absent: the machine's default (on), or KEEL_MACHINE_JIT's. */
function newHarness(cmdline = "", jit?: JitSetting): MachineHarness {
  return new MachineHarness({ ramBytes: RAM, cmdline, modules: userlandModules(), disk: shippedDisk(), ...(jit !== undefined ? { jit } : {}) });
}

/** Exactly one run() call while the machine is busy (runFor returns after
 *  its first slice with a zero wall budget); none once it is idle. */
function step(machine: Machine, slices = 1): void {
  for (let i = 0; i < slices; i++) machine.runFor(0);
}

function runToIdle(machine: Machine): void {
  for (let i = 0; i < 100_000; i++) {
    const report = machine.runFor(50);
    if (report.state !== "running") return;
  }
  throw new Error("machine still running");
}

/** Types `text` as a person does: one chunk per keystroke, `gap` slices apart. */
function typeSlowly(machine: Machine, recorder: Recorder, text: string, gap: number): void {
  for (const ch of text) {
    const bytes = new TextEncoder().encode(ch);
    recorder.input(bytes);
    machine.input(bytes);
    step(machine, gap);
  }
}

function type(machine: Machine, recorder: Recorder, text: string): void {
  const bytes = new TextEncoder().encode(text);
  recorder.input(bytes);
  machine.input(bytes);
}

interface Outcome {
  output: string;
  cells: number[];
  workTotal: number;
  timeNs: number;
  runs: number;
  boots: number;
}

function outcome(h: MachineHarness): Outcome {
  const stats = h.machine.stats();
  return {
    output: h.output, cells: Array.from(h.machine.vgaCells()), workTotal: stats.workTotal,
    timeNs: h.machine.virtualNowNs, runs: h.machine.runsSinceBoot, boots: stats.boots,
  };
}

/** Boot, input during boot, a command typed key by key, input while `sleep`
 *  runs, idle wake-ups with nothing to do, a host reboot, one more command. */
function recordSession(jit?: JitSetting): { events: ReplayEvent[]; original: Outcome } {
  const h = newHarness("", jit);
  const m = h.machine;
  const recorder = new Recorder(m);
  h.boot();
  type(m, recorder, "ec"); // before the first run(): typed while the kernel loads
  step(m, 3);
  type(m, recorder, "ho early\r"); // during boot, long before the shell's prompt
  h.runUntil("early\n$ ");
  typeSlowly(m, recorder, "ls\r", 2);
  runToIdle(m);
  type(m, recorder, "sleep 1 ; echo slept\r");
  step(m, 7);
  typeSlowly(m, recorder, "echo during\r", 1); // while sleep runs
  runToIdle(m);
  expect(h.output).toContain("slept");
  // Idle wake-ups (the page's run loop restarted by flow control): run()
  // calls with no input, which the replay must make too.
  step(m, 3);
  expect(m.runsSinceBoot).toBeGreaterThan(0);
  type(m, recorder, "echo after-idle\r");
  runToIdle(m);
  recorder.reboot();
  m.reboot();
  step(m, 5);
  type(m, recorder, "echo second boot\r");
  h.runUntil("second boot\n$ ");
  runToIdle(m);
  step(m, 2);
  return { events: recorder.take(), original: outcome(h) };
}

function replay(events: ReplayEvent[], cmdline = "", h = newHarness(cmdline)): { h: MachineHarness; replayer: Replayer } {
  const replayer = new Replayer(events);
  h.machine.setInputSchedule(replayer);
  h.boot();
  for (let i = 0; i < 100_000 && !(replayer.done && h.machine.state !== "running"); i++) {
    const report = h.machine.runFor(20);
    // As the page's worker does: a stopped machine is given what is due for it.
    if ((report.state === "halted" || report.state === "panicked") && !replayer.done) {
      if (!replayer.pumpStopped(h.machine) && !replayer.done) break;
      continue;
    }
    if (report.state === "idle" && report.wakeInMs === null && !replayer.done) break; // stuck: the test says so
  }
  return { h, replayer };
}

describe("exact replay of a deterministic session", () => {
  const recorded = recordSession();

  it("records chunks at their run() positions, with reboots, ending where it was taken", () => {
    const { events } = recorded;
    expect(checkEvents(events)).toBeNull();
    expect(events[0]).toMatchObject({ kind: "input", boot: 1, run: 0 });
    expect(events.filter((e) => e.kind === "reboot")).toHaveLength(1);
    expect(events[events.length - 1]).toMatchObject({ kind: "end", boot: 2 });
    expect(recorded.original.output).toContain("during");
    expect(recorded.original.output).toContain("after-idle");
  });

  it("replays into a new machine: the same console bytes, VGA cells, work, time and run() count", () => {
    const { h, replayer } = replay(recorded.events);
    expect(replayer.progress).toEqual({
      delivered: recorded.events.length - 1, total: recorded.events.length - 1, finished: true, diverged: null,
    });
    const replayed = outcome(h);
    expect(replayed.output).toBe(recorded.original.output);
    expect(replayed.cells).toEqual(recorded.original.cells);
    expect(replayed.workTotal).toBe(recorded.original.workTotal);
    expect(replayed.timeNs).toBe(recorded.original.timeNs);
    expect(replayed.runs).toBe(recorded.original.runs);
    expect(replayed.boots).toBe(2);
  });

  it("replays a recording made with the JIT off on machines with it on (every block compiled, and the default threshold), and one made with it on with it off", () => {
    // The JIT is not machine state: a replay link recorded in a page with
    // ?jit=off (or before the JIT was the default) must replay in one with
    // it, and the other way round, to the same bytes, cells, work and time.
    const withoutJit = recordSession(false);
    const withJit = recordSession(1);
    for (const [from, into] of [[withoutJit, 1], [withoutJit, JIT_DEFAULT_THRESHOLD], [withJit, false]] as const) {
      const { h, replayer } = replay(from.events, "", newHarness("", into));
      expect(replayer.progress, `into jit ${String(into)}`).toMatchObject({ finished: true, diverged: null });
      expect(outcome(h)).toEqual(from.original);
      if (into !== false) expect(h.machine.jitStats()!.units).toBeGreaterThan(0);
      else expect(h.machine.jitStats()).toBeNull();
    }
  });

  it("reports a recording whose virtual time does not match as diverged", () => {
    const events = recorded.events.map((e, i) => (i === 3 ? { ...e, timeNs: e.timeNs + 10 } : e));
    const { replayer } = replay(events);
    expect(replayer.progress.finished).toBe(true);
    expect(replayer.progress.diverged).toMatch(/^input 4 of \d+ was recorded at \d+ ns virtual time but arrived at \d+ ns$/);
  });

  it("says a replay is stalled when the machine waits and the next event is in a power-on it never reaches", () => {
    const reboot = recorded.events.findIndex((e) => e.kind === "reboot");
    const events = recorded.events.map((e, i) => (i > reboot ? { ...e, boot: e.boot + 1 } : e));
    const { h, replayer } = replay(events);
    expect(h.machine.state).toBe("idle");
    expect(replayer.progress.finished).toBe(false);
    expect(replayer.stalled(h.machine)).toBe(true);
    const { h: good, replayer: fine } = replay(recorded.events);
    expect(fine.stalled(good.machine)).toBe(false);
  });

  it("reports a replay on another configuration (another command line) as diverged", () => {
    const { replayer } = replay(recorded.events, "quiet-not-recorded");
    expect(replayer.progress.diverged).not.toBeNull();
  });

  it("replays the kernel monitor across a halt, keys typed at the halted machine, a host reboot and a kernel-requested one", () => {
    const monitor = () => new MachineHarness({ ramBytes: 32 * 1024 * 1024 });
    const h = monitor();
    const m = h.machine;
    const recorder = new Recorder(m);
    h.boot();
    type(m, recorder, "uptime\r");
    runToIdle(m);
    type(m, recorder, "halt\r");
    runToIdle(m);
    expect(m.state).toBe("halted");
    type(m, recorder, "ignored\r"); // nobody reads it: the machine is off
    recorder.reboot();
    m.reboot();
    step(m, 4);
    type(m, recorder, "reboot\r"); // the kernel asks for the power cycle itself
    runToIdle(m);
    type(m, recorder, "uptime\r");
    runToIdle(m);
    expect(m.stats().boots).toBe(3);
    const events = recorder.take();
    const original = outcome(h);

    const { h: again, replayer } = replay(events, "", monitor());
    expect(replayer.progress).toMatchObject({ finished: true, diverged: null });
    expect(outcome(again)).toEqual(original);
  });

  it("refuses a list of events that cannot be a recording", () => {
    const input = { kind: "input" as const, boot: 1, run: 5, timeNs: 0, bytes: new Uint8Array([65]) };
    expect(checkEvents([input])).toMatch(/no end/);
    expect(checkEvents([input, { ...input, run: 4 }, { kind: "end", boot: 1, run: 9, timeNs: 0 }])).toMatch(/before/);
    expect(() => new Replayer([])).toThrow();
  });
});

describe("output around a reboot in the middle of a slice", () => {
  it("flushOutput hands out what was printed so far, so a reboot mark can come after it", () => {
    const h = newHarness();
    h.boot();
    h.runUntil("\n$ ");
    const mark = h.since(0).length;
    // The schedule types a command, and once its reply is in the machine's
    // buffer (a later run() call of the same runFor), reboots in the middle
    // of the slice loop — as a replayed Reboot press does.
    let typedAt = -1;
    let seenAtReboot: string | null = null;
    h.machine.setInputSchedule({
      beforeRun(machine: Machine) {
        if (typedAt < 0) {
          typedAt = machine.runsSinceBoot;
          machine.input("echo before-reboot\r");
        } else if (seenAtReboot === null && machine.runsSinceBoot >= typedAt + 10) {
          machine.flushOutput();
          seenAtReboot = h.since(mark);
          machine.reboot();
        }
      },
      pending: () => seenAtReboot === null,
    });
    // One runFor call holds every run() from the typing to the reboot (a
    // pending schedule keeps it from returning idle), so the reply is still
    // in the machine's buffer when the schedule flushes it, however loaded
    // the host is; a wall-bounded loop of short runFor calls would hand it
    // out between calls on a slow machine, and the test would not test.
    h.machine.runFor(60_000);
    expect(seenAtReboot).not.toBeNull();
    h.machine.setInputSchedule(null);
    h.runUntil(/\$ $/, mark + 1);
    expect(seenAtReboot).toMatch(/before-reboot\n/);
  });
});
