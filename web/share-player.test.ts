// The realtime replay of a link's `run` lines on the real kernel, through
// the embeddable API (host/api.ts): each line once the console waits for
// input, so shell and monitor output stay in the order the lines were typed.

import { describe, expect, it } from "vitest";
import { createMachine, type KeelMachine } from "keel";
import { LinePlayer } from "./share-player";
import { runSteps, typedLines } from "./share";

/** Plays `run` into the machine until every step is typed and the console waits again. */
async function play(machine: KeelMachine, run: string): Promise<void> {
  const player = new LinePlayer(runSteps(run), machine, { send: (text) => machine.input(text), quietMs: 100, signalDelayMs: 300 });
  const deadline = Date.now() + 30_000;
  while (!player.done) {
    if (Date.now() > deadline) throw new Error(`only ${player.typed} of ${player.total} steps typed:\n${machine.output}`);
    player.poll();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const positions = (text: string, marks: string[]) => marks.map((mark) => text.indexOf(mark));

describe("the line-by-line replay", () => {
  it("keeps shell output, monitor output and the next shell line in the order they were typed", async () => {
    // What a person typed: a shell command, the monitor and a command there, back, another command.
    const run = typedLines(["echo first-line\r", "\x1d", "uptime\r", "\x1d", "echo second-line\r"]).join("\n");
    expect(run).toBe("echo first-line\n\x1duptime\n\x1decho second-line");

    const machine = await createMachine();
    await machine.waitFor(/\$ $/);
    const from = machine.end;
    await play(machine, run);
    await machine.waitFor(/second-line\n\$ $/, { from });
    const text = machine.since(from);
    const at = positions(text, ["echo first-line\nfirst-line\n$ ", "keel> uptime\nup ", "[back to user programs]", "echo second-line\nsecond-line\n$ "]);
    expect(at.every((p) => p >= 0), text).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    machine.dispose();

  });

  it("stops a runaway program with the Ctrl-C the link carries, then runs the next line", async () => {
    const run = typedLines(["spin 1 100000\r", "\x03", "echo after-spin\r"]).join("\n");
    expect(run).toBe("spin 1 100000\n\x03\necho after-spin");
    const machine = await createMachine();
    await machine.waitFor(/\$ $/);
    const from = machine.end;
    await play(machine, run);
    const text = await machine.waitFor(/after-spin\n\$ $/, { from });
    expect(text).toMatch(/spin 1 100000\n[\s\S]*\$ echo after-spin\nafter-spin\n\$ $/);
    machine.dispose();
  });
});
