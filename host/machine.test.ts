import { describe, expect, it } from "vitest";
import { MachineHarness } from "./testing/machine-harness.js";
import { MachineConfigError, kernelFrames } from "./machine.js";
import { shippedDisk } from "./testing/disk.js";

const PROMPT = "keel> ";
const RED_BACKGROUND = 4;

function bootedHarness(config = {}): MachineHarness {
  const h = new MachineHarness(config).boot();
  h.settle();
  return h;
}

describe("booting the machine", () => {
  it("shows Hello World! in the top-left corner of the VGA screen", () => {
    const h = bootedHarness();
    expect(h.machine.vgaText()[0]!.startsWith("Hello World!")).toBe(true);
  });

  it("prints the banner, the boot log and the monitor prompt on the console", () => {
    const h = bootedHarness();
    expect(h.output).toContain("Keel - a capability microkernel");
    expect(h.output).toMatch(/\[\s+\d+\.\d{6}\] Keel 0\.1\.0 booting/);
    expect(h.output).toContain("frames:");
    expect(h.output.endsWith(PROMPT)).toBe(true);
    expect(h.machine.state).toBe("idle");
  });

  it("logs the RAM size and the command line it was given", () => {
    const h = bootedHarness({ ramBytes: 64 * 1024 * 1024, cmdline: "quiet init=/sh" });
    expect(h.output).toContain("RAM 64 MiB, clock deterministic");
    expect(h.output).toContain("command line: quiet init=/sh");
  });

  it("is deterministic: two boots with the same input print the same bytes", () => {
    const a = bootedHarness();
    const b = bootedHarness();
    for (const cmd of ["mem", "alloc 3000", "uptime"]) {
      a.command(cmd);
      b.command(cmd);
    }
    expect(a.output).toBe(b.output);
  });

  it("refuses a RAM size that is not a multiple of 64 KiB or out of range", () => {
    expect(() => new MachineHarness({ ramBytes: 1000 })).toThrow(MachineConfigError);
    expect(() => new MachineHarness({ ramBytes: 8 * 1024 * 1024 })).toThrow(/between 16 and 2048 MiB/);
  });
});

describe("the kernel monitor", () => {
  it("lists every command in help", () => {
    const reply = bootedHarness().command("help");
    for (const cmd of ["help", "mem", "dmesg", "pt", "alloc", "uptime", "reboot", "halt", "panic"]) {
      expect(reply).toMatch(new RegExp(`^  ${cmd}\\b`, "m"));
    }
    expect(reply.endsWith(PROMPT)).toBe(true);
  });

  it("shows the memory map and free blocks per order that add up to the free total", () => {
    const reply = bootedHarness().command("mem");
    expect(reply).toContain("kernel image");
    expect(reply).toContain("VGA (text buffer at 0xb8000)");
    const free = Number(/(\d+) free \(/.exec(reply)![1]);
    const perOrder = [...reply.matchAll(/^\s+(\d+)\s+\d+ [KMG]iB\s+(\d+)$/gm)].map((m) => Number(m[2]) << Number(m[1]));
    expect(perOrder).toHaveLength(11);
    expect(perOrder.reduce((a, b) => a + b, 0)).toBe(free);
  });

  it("walks a mapped address through four levels down to the frame", () => {
    const reply = bootedHarness().command("pt 0x401234");
    expect(reply.match(/^  level [3210] /gm)).toHaveLength(4);
    expect(reply).toMatch(/level 0 .* VRW-U-AD  leaf: 4 KiB page at 0x([0-9a-f]{8})/);
    const frame = /leaf: 4 KiB page at 0x([0-9a-f]{8})/.exec(reply)![1]!;
    expect(reply).toContain(`=> physical 0x${frame.slice(0, 5)}234`);
    expect(reply).toContain("every table and frame returned");
  });

  it("stops a walk at a 2 MiB superpage leaf and at an unmapped entry", () => {
    const h = bootedHarness();
    expect(h.command("pt 0x40012345")).toMatch(/level 1 .* leaf: 2 MiB page/);
    const unmapped = h.command("pt 0x500000000");
    expect(unmapped).toContain("invalid: the walk stops");
    expect(unmapped).toContain("=> not mapped");
  });

  it("reports a non-canonical address and a malformed one", () => {
    const h = bootedHarness();
    expect(h.command("pt 0x800000000000")).toContain("not canonical");
    expect(h.command("pt zz")).toContain("'zz' is not a number");
  });

  it("stress-tests the allocator and finds everything coalesced", () => {
    const reply = bootedHarness().command("alloc 4000");
    expect(reply).toMatch(/alloc: 4000 operations: \d+ allocations, \d+ frees/);
    expect(reply).toContain("result: OK");
    expect(bootedHarness().command("alloc 0")).toContain("between 1 and");
  });

  it("reports uptime that grows with work in deterministic mode", () => {
    const h = bootedHarness();
    const first = Number(/up (\d+\.\d+) s/.exec(h.command("uptime"))![1]);
    h.command("alloc 2000");
    const second = Number(/up (\d+\.\d+) s/.exec(h.command("uptime"))![1]);
    expect(second).toBeGreaterThan(first);
  });

  it("shows the kernel log with dmesg and filters by level", () => {
    const h = bootedHarness();
    expect(h.command("dmesg")).toContain("Keel 0.1.0 booting");
    expect(h.command("dmesg error")).toContain("(no records at that level)");
    expect(h.command("dmesg loud")).toContain("usage: dmesg");
  });

  it("answers an unknown command clearly", () => {
    expect(bootedHarness().command("frobnicate now")).toContain("unknown command 'frobnicate'");
  });

  it("edits the line: DEL and backspace erase, Ctrl-U kills, Ctrl-C cancels, escape sequences are ignored", () => {
    const h = bootedHarness();
    expect(h.command("hxlp\x7f\x7f\x08elp")).toContain("Keel kernel monitor. Commands:"); // h + elp
    expect(h.command("garbage\x15uptime")).toMatch(/^up \d/m);
    expect(h.command("\x1b[A\x1b[Duptime")).toMatch(/^up \d/m);
    const cancelled = h.command("mem\x03");
    expect(cancelled).toContain("^C");
    expect(cancelled).not.toContain("Physical memory map");
  });

  it("grows RAM through the hypervisor and hands the new frames to the allocator", () => {
    const h = bootedHarness();
    const freeBefore = Number(/(\d+) free \(/.exec(h.command("mem"))![1]);
    expect(h.command("grow 16")).toContain("memory: grew by 16 MiB at 0x002000000; RAM is now 48 MiB");
    expect(h.machine.ram.byteLength).toBe(48 * 1024 * 1024);
    const freeAfter = Number(/(\d+) free \(/.exec(h.command("mem"))![1]);
    // 4096 new frames, less the frame-descriptor table's growth (16 bytes per
    // frame: the table moves to a larger home and the old one is freed).
    const tableGrowth = Math.ceil((12288 * 16) / 4096) - Math.ceil((8192 * 16) / 4096);
    expect(freeAfter).toBe(freeBefore + 4096 - tableGrowth);
    expect(h.command("alloc 3000")).toContain("result: OK");
    expect(h.command("grow lots")).toContain("usage: grow MiB");
  });

  it("halts cleanly", () => {
    const h = bootedHarness();
    h.command("halt");
    expect(h.machine.state).toBe("halted");
    expect(h.machine.runFor(10).state).toBe("halted");
  });

  it("reboots into a fresh boot", () => {
    const h = bootedHarness();
    h.command("alloc 100");
    const mark = h.output.length;
    h.command("reboot");
    h.settle();
    expect(h.since(mark)).toContain("Keel 0.1.0 booting");
    expect(h.output.endsWith(PROMPT)).toBe(true);
    expect(h.machine.stats().boots).toBe(2);
  });

  it("panics on request: red screen, message on the console, machine stopped", () => {
    const h = bootedHarness();
    const reply = h.command("panic the roof is on fire");
    expect(reply).toContain("*** KERNEL PANIC: the roof is on fire");
    expect(h.machine.state).toBe("panicked");
    expect(h.machine.panicText).toBe("the roof is on fire");
    const cells = h.machine.vgaCells();
    expect(cells.every((cell) => (cell >> 12) === RED_BACKGROUND)).toBe(true);
    expect(h.machine.vgaText().join("\n")).toContain("KERNEL PANIC");
    expect(h.machine.runFor(10).state).toBe("panicked");
  });

  it("keeps a pasted burst longer than the receive FIFO", () => {
    const h = bootedHarness();
    const mark = h.output.length;
    h.machine.input("uptime\ruptime\ruptime\ruptime\ruptime\r");
    h.settle();
    expect(h.since(mark).match(/^up /gm)).toHaveLength(5);
  });
});

describe("a trap inside the kernel", () => {
  const UART_DATA = 0x3f8;

  it("panics with a message naming the wasm functions, the process and the system call", () => {
    const h = new MachineHarness({ ramBytes: 64 * 1024 * 1024, disk: shippedDisk() }).boot();
    h.runUntil("\n$ ");
    // A host device that throws like a host bug would: the second 'Z' sent
    // to the UART (the first is the echo of the typed line) is echo's own
    // write, so the exception unwinds through the kernel's write call.
    const machine = h.machine as unknown as { portOut(port: number, width: number, value: number): void };
    const portOut = machine.portOut.bind(machine);
    let zs = 0;
    machine.portOut = (port, width, value) => {
      if (port === UART_DATA && value === 0x5a && ++zs === 2) throw new Error("test: the UART exploded");
      portOut(port, width, value);
    };
    h.machine.input("echo Z\r");
    for (let i = 0; i < 200 && h.machine.state !== "panicked"; i++) h.machine.runFor(20);
    expect(h.machine.state).toBe("panicked");
    const text = h.machine.panicText;
    expect(text).toMatch(/^kernel trapped: test: the UART exploded in \S+/);
    expect(text).toMatch(/ in dev\/uart\/uartPut < .*sys\/unix\/sysWrite/); // the kernel build keeps its function names
    expect(text).toMatch(/\[pid \d+ \(echo\), system call 16 \(write\)\]$/);
    expect(h.output).toContain("*** KERNEL PANIC: kernel trapped: test: the UART exploded");
  });

  it("reads wasm frames from a V8 stack, by name or by index", () => {
    const error = new Error("x");
    error.stack = [
      "RuntimeError: memory access out of bounds",
      "    at kernel-as/src/fs/file/fileStat (wasm://wasm/0011aabb:wasm-function[12]:0x1234)",
      "    at wasm://wasm/0011aabb:wasm-function[40]:0x5678",
      "    at Machine.callKernel (file:///host/machine.ts:1:1)",
    ].join("\n");
    expect(kernelFrames(error)).toEqual(["fs/file/fileStat", "wasm-function[40]"]);
    expect(kernelFrames("not an error")).toEqual([]);
  });
});
