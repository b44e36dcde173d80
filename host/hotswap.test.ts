// Hot swap (docs/code-panel.md): a kernel with the same layout id is
// applied over a running machine's RAM and the processes go on under it; a
// kernel that would read the RAM another way is refused with the reason,
// and the machine is left as it was. Real kernel builds throughout: the
// shipped one, its debug build (other code, same sources), and copies of
// the shipped one with one message or the layout id changed in the binary.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MachineConfigError, hotSwapProblem, probeKernel } from "./machine.js";
import { kernelBytesSync, kernelModuleSync, MachineHarness, userlandModules } from "./testing/machine-harness.js";
import { shippedDisk } from "./testing/disk.js";
import { layoutId } from "../scripts/layout-id.mjs";
import { collectKernelSources } from "../scripts/kernel-src";

const MiB = 1024 * 1024;
const MESSAGE = "Memory policy: a process may hold ";
const CHANGED = "Memory POLICY: a process may hold ";

function utf16(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) out[2 * i] = text.charCodeAt(i);
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The shipped kernel with one static string replaced by another of the same length. */
function withMessage(from: string, to: string): WebAssembly.Module {
  const bytes = kernelBytesSync().slice();
  const at = indexOf(bytes, utf16(from));
  expect(at).toBeGreaterThan(0);
  bytes.set(utf16(to), at);
  return new WebAssembly.Module(bytes);
}

/** Signed LEB128, as i32.const encodes it. */
function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

/** The shipped kernel declaring another layout id (its layoutVersion() body is one i32.const). */
function withLayoutId(id: number): WebAssembly.Module {
  const bytes = kernelBytesSync().slice();
  const ours = probeKernel(kernelModuleSync()).layoutId;
  const from = Uint8Array.from([0x41, ...sleb(ours), 0x0b]);
  const to = Uint8Array.from([0x41, ...sleb(id), 0x0b]);
  expect(to.length).toBe(from.length);
  const at = indexOf(bytes, from);
  expect(at).toBeGreaterThan(0);
  expect(indexOf(bytes, from, at + 1)).toBe(-1);
  bytes.set(to, at);
  return new WebAssembly.Module(bytes);
}

function bootShell(): MachineHarness {
  const h = new MachineHarness({ ramBytes: 64 * MiB, modules: userlandModules(), disk: shippedDisk() }).boot();
  h.runUntil("\n$ ");
  return h;
}

function refusal(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MachineConfigError);
    return (error as Error).message;
  }
  throw new Error("the swap was accepted");
}

describe("the layout id", () => {
  it("the shipped kernel declares the id of its own sources", () => {
    const files = collectKernelSources(".");
    expect(probeKernel(kernelModuleSync()).layoutId).toBe(layoutId(files));
    expect(probeKernel(kernelModuleSync()).layoutId).not.toBe(0);
  });
});

describe("hot swap", () => {
  it("a running spin finishes under a kernel with a changed message, which the monitor then prints", () => {
    const h = bootShell();
    const mark = h.output.length;
    // Long enough that it is still running through both monitor commands:
    // the JIT (on by default) fits a second of deterministic time into a few
    // of the harness's 20 ms slices.
    h.machine.input("spin 2 5 ; echo spun\r");
    for (let i = 0; i < 3; i++) h.machine.runFor(5);
    expect(h.since(mark)).not.toContain("children used");
    const before = h.machine.stats();
    expect(h.monitorWhileBusy("mem")).toContain(MESSAGE);

    h.machine.swapKernel(withMessage(MESSAGE, CHANGED));
    expect(h.machine.kernelSwaps).toBe(1);
    // Nothing was lost: the same boot, the same clock, the same work.
    const after = h.machine.stats();
    expect(after.boots).toBe(before.boots);
    expect(after.state).not.toBe("off");
    expect(h.monitorWhileBusy("mem")).toContain(CHANGED);
    const rest = h.runUntil(/spun\n\$ $/, mark, 20_000);
    expect(rest).toMatch(/children used/);
    expect(h.shell("echo still here")).toContain("still here");
  });

  it("a machine swapped to the debug build keeps its files and processes, and a reboot boots that build", () => {
    const debug = new WebAssembly.Module(readFileSync(new URL("../build/kernel.debug.wasm", import.meta.url)));
    const h = bootShell();
    h.shell("echo kept > note");
    h.machine.input("sleep 30 ; echo awake\r");
    for (let i = 0; i < 3; i++) h.machine.runFor(5);
    h.machine.swapKernel(debug);
    expect(h.machine.kernelModule).toBe(debug);
    h.runUntil("awake\n$ ", 0, 20_000);
    expect(h.shell("cat note")).toContain("kept");
    h.machine.reboot();
    expect(h.machine.kernelModule).toBe(debug);
    h.runUntil("\n$ ");
    expect(h.shell("cat note")).toContain("kept");
  });

  it("a monitor-only machine (no hart arena, no disk) swaps too", () => {
    const h = new MachineHarness({ ramBytes: 16 * MiB }).boot();
    h.runUntil("keel> ");
    h.machine.swapKernel(withMessage("Free blocks per order:", "Free BLOCKS per order:"));
    expect(h.command("mem")).toContain("Free BLOCKS per order:");
  });

  it("refuses a kernel with another layout id, saying why, and the old kernel runs on", () => {
    const h = bootShell();
    const ours = probeKernel(kernelModuleSync()).layoutId;
    const other = withLayoutId(ours ^ 0x10);
    const text = refusal(() => h.machine.swapKernel(other));
    expect(text).toMatch(/layout id 0x[0-9a-f]{8} differs from the running kernel's 0x[0-9a-f]{8}/);
    expect(h.machine.kernelSwaps).toBe(0);
    expect(h.machine.kernelModule).toBe(kernelModuleSync());
    expect(h.shell("echo unchanged")).toContain("unchanged");
  });

  it("refuses on a stopped machine and on one that never booted", () => {
    const h = new MachineHarness({ ramBytes: 16 * MiB });
    expect(refusal(() => h.machine.swapKernel(kernelModuleSync()))).toMatch(/booted machine/);
    h.boot();
    h.runUntil("keel> ");
    h.machine.input("halt\r");
    h.settle();
    expect(h.machine.state).toBe("halted");
    expect(refusal(() => h.machine.swapKernel(kernelModuleSync()))).toMatch(/halted: there is nothing running/);
  });
});

describe("hotSwapProblem", () => {
  const running = { layoutId: 0x1234, imageEnd: 0x150000 };
  it("accepts the same id with static data inside the image region", () => {
    expect(hotSwapProblem(running, { layoutId: 0x1234, imageEnd: 0x151000 }, 0x151000)).toBeNull();
  });
  it("names each reason", () => {
    expect(hotSwapProblem({ ...running, layoutId: 0 }, running, 0x151000)).toMatch(/running kernel declares no layout id/);
    expect(hotSwapProblem(running, { ...running, layoutId: 0 }, 0x151000)).toMatch(/new kernel declares no layout id/);
    expect(hotSwapProblem(running, { ...running, layoutId: 0x1235 }, 0x151000)).toMatch(/0x00001235 differs from the running kernel's 0x00001234/);
    expect(hotSwapProblem(running, { layoutId: 0x1234, imageEnd: 0x151001 }, 0x151000)).toMatch(/static data ends at 0x00151001, past the end/);
  });
});
