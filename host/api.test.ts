// The embeddable Machine API (host/api.ts, docs/embedding.md), imported by
// the package's name as an embedder would: real kernel, real programs.

import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { KeelMachine, MachineConfigError, SnapshotError, WaitError, createMachine } from "keel";

const decode = (chunks: Uint8Array[]) => new TextDecoder().decode(Buffer.concat(chunks));

describe("createMachine", () => {
  it("boots a machine that runs echo hi", async () => {
    const machine = await createMachine();
    expect(machine).toBeInstanceOf(KeelMachine);
    expect(await machine.run("echo hi")).toBe("hi\n");
    expect(machine.output).toContain("$ echo hi\nhi\n$ ");
    machine.dispose();
  });

  it("gives the same run twice with the deterministic clock, and runs with the realtime one", async () => {
    const outputs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const machine = await createMachine({ memory: 64 });
      await machine.run("echo same");
      outputs.push(machine.output);
      machine.dispose();
    }
    expect(outputs[1]).toBe(outputs[0]);
    const realtime = await createMachine({ clock: "realtime" });
    expect(await realtime.run("echo wall")).toBe("wall\n");
    realtime.dispose();
  });

  it("refuses options that cannot make a machine, saying why", async () => {
    await expect(createMachine({ memory: 0 })).rejects.toThrow(/whole number of MiB/);
    await expect(createMachine({ disk: new Uint8Array(8192) })).rejects.toThrow(MachineConfigError);
    await expect(createMachine({ kernel: "/nonexistent/kernel.wasm" })).rejects.toThrow(/cannot read the kernel/);
    await expect(createMachine({ snapshot: new Uint8Array(64) })).rejects.toThrow(SnapshotError);
  });
});

describe("waitFor and run", () => {
  it("waits for a string or a RegExp, from after the previous match", async () => {
    const machine = await createMachine({ start: false });
    expect(await machine.waitFor(/\$ $/)).toMatch(/init: starting sh\n\$ $/);
    machine.type("echo first; echo second\n");
    const first = await machine.waitFor(/^first$/m);
    expect(first.endsWith("first")).toBe(true);
    // Looks on after "first": "first" again would have to be printed anew.
    expect(await machine.waitFor("second")).toBe("\nsecond");
    machine.dispose();
  });

  it("rejects with what was seen when the output does not come in time", async () => {
    const machine = await createMachine();
    await machine.run("echo ready");
    const failed = await machine.waitFor("never printed", { timeout: 200 }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(WaitError);
    expect((failed as WaitError).message).toMatch(/did not appear within 200 ms/);
    machine.dispose();
  });

  it("rejects at once when the machine halts first", async () => {
    const machine = await createMachine();
    await machine.run("echo up");
    machine.input("\x1d");
    await machine.waitFor("keel> ");
    machine.type("halt\n");
    const failed = await machine.waitFor("never printed", { timeout: 5000 }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(WaitError);
    expect((failed as WaitError).message).toMatch(/halted/);
    expect(machine.state).toBe("halted");
  });

  it("runs monitor commands with the monitor's prompt", async () => {
    const machine = await createMachine();
    await machine.run("echo shell");
    machine.input("\x1d");
    await machine.waitFor("keel> ");
    expect(await machine.run("help", { prompt: "keel> " })).toMatch(/^Keel kernel monitor\. Commands:\n/);
    machine.dispose();
  });
});

describe("the screen and snapshots", () => {
  it("reads the VGA screen as text", async () => {
    const machine = await createMachine();
    await machine.run("echo x");
    expect(machine.screen()).toHaveLength(25);
    expect(machine.screen()[0]!.startsWith("Hello World!")).toBe(true);
    expect(machine.screenText().split("\n")[0]).toBe("Hello World!");
    machine.dispose();
  });

  it("saves a snapshot that continues with its disk, screen and files", async () => {
    const machine = await createMachine({ disk: "shipped" });
    await machine.run("echo kept > note");
    const screen = machine.screen();
    const snapshot = await machine.save();
    machine.dispose();
    const restored = await createMachine({ snapshot });
    expect(restored.screen()).toEqual(screen);
    expect(await restored.run("cat note")).toBe("kept\n");
    restored.dispose();
  });

  it("refuses a damaged snapshot", async () => {
    const machine = await createMachine();
    await machine.run("echo x");
    const snapshot = await machine.save();
    machine.dispose();
    const damaged = snapshot.slice();
    damaged[damaged.length - 100] = damaged[damaged.length - 100]! ^ 0xff;
    await expect(createMachine({ snapshot: damaged })).rejects.toThrow(SnapshotError);
  });
});

describe("attachConsole", () => {
  it("relays Node streams both ways, with what was printed before first", async () => {
    const machine = await createMachine();
    await machine.run("echo earlier");
    const input = new PassThrough();
    const output = new PassThrough();
    const chunks: Uint8Array[] = [];
    output.on("data", (chunk: Buffer) => chunks.push(chunk));
    const attached = await machine.attachConsole({ input, output });
    expect(decode(chunks)).toContain("$ echo earlier\r\nearlier\r\n$ ");
    input.write("echo streamed\r");
    await machine.waitFor("streamed\n$ ");
    await new Promise((resolve) => setImmediate(resolve));
    expect(decode(chunks)).toContain("echo streamed\r\nstreamed\r\n$ ");
    attached.detach();
    input.write("echo unseen\r");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(machine.output).not.toContain("unseen");
    machine.dispose();
  });
});
