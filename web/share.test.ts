import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseParams } from "./params";
import { LinePlayer } from "./share-player";
import type { ReplayEvent } from "../host/replay";
import {
  ShareLinkError, checkRun, decodeSession, encodeSession, exactLink, exactReloadLink, fromBase64Url, packSession, pageBase,
  plainLink, replayPayloadOf, runInput, runSteps, toBase64Url, typedLines, unpackSession, type SharedSession,
} from "./share";

const enc = (text: string) => new TextEncoder().encode(text);

/** A session as a person makes it: one chunk per keystroke, a reboot, the end. */
function sampleSession(): SharedSession {
  const events: ReplayEvent[] = [];
  let run = 3;
  let timeNs = 1_234_567;
  for (const ch of "ls -l\recho hello | wc\r") {
    events.push({ kind: "input", boot: 1, run, timeNs, bytes: enc(ch) });
    run += 2;
    timeNs += 38_170;
  }
  events.push({ kind: "reboot", boot: 1, run: run + 40, timeNs: timeNs + 9_000_000 });
  events.push({ kind: "input", boot: 2, run: 0, timeNs: 0, bytes: enc("é\x1d") });
  events.push({ kind: "end", boot: 2, run: 812, timeNs: 4_000_000_017 });
  return { config: { ramMiB: 256, cmdline: "quiet log=debug", userland: true }, events };
}

describe("the exact-replay payload", () => {
  it("packs and unpacks a session unchanged", () => {
    const session = sampleSession();
    expect(unpackSession(packSession(session))).toEqual(session);
  });

  it("carries the vCPU count (1 to 8), and reads links from before vCPUs as 1", () => {
    for (const cpus of [2, 4, 8]) {
      const session = { ...sampleSession(), config: { ...sampleSession().config, cpus } };
      expect(unpackSession(packSession(session)).config.cpus).toBe(cpus);
    }
    const plain = sampleSession();
    expect(unpackSession(packSession(plain)).config).toEqual(plain.config);
    expect(() => packSession({ ...plain, config: { ...plain.config, cpus: 9 } })).toThrow("a recording has 1 to 8 vCPUs, not 9");
    expect(plainLink("https://k.example/", { ramMiB: 128, clock: "realtime", cmdline: "", userland: true, cpus: 2 }, [])).toBe("https://k.example/?cpus=2");
  });

  it("round-trips through deflate-raw and base64url, and stays short", async () => {
    const session = sampleSession();
    const payload = await encodeSession(session);
    expect(payload).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(payload.length).toBeLessThan(200); // 24 keystrokes, a reboot, the end
    expect(await decodeSession(payload)).toEqual(session);
  });

  it("puts the payload in the fragment of the page's own address", async () => {
    const base = pageBase("https://example.org/demo/keel/?clock=deterministic#old");
    expect(base).toBe("https://example.org/demo/keel/");
    const link = await exactLink(base, sampleSession());
    const url = new URL(link);
    expect(url.search).toBe("");
    const payload = replayPayloadOf(url.hash);
    expect(payload).not.toBeNull();
    expect(await decodeSession(payload!)).toEqual(sampleSession());
  });

  it("refuses what is not a payload, saying why", async () => {
    await expect(decodeSession("not base64!")).rejects.toThrow(/base64url/);
    await expect(decodeSession("AAAA")).rejects.toThrow(ShareLinkError);
    const good = await encodeSession(sampleSession());
    await expect(decodeSession(good.slice(0, good.length - 8))).rejects.toThrow(ShareLinkError);
    await expect(decodeSession("A".repeat(70_000))).rejects.toThrow(/at most/);
  });

  it("refuses a payload of another version, with bytes after its end, or impossible values", () => {
    const packed = packSession(sampleSession());
    const otherVersion = packed.slice();
    otherVersion[0] = 9;
    expect(() => unpackSession(otherVersion)).toThrow(/format 9/);
    expect(() => unpackSession(Uint8Array.from([...packed, 0]))).toThrow(/after its end/);
    expect(() => unpackSession(packed.subarray(0, packed.length - 3))).toThrow(/cut short/);
    const tinyRam = packSession({ ...sampleSession(), config: { ramMiB: 1, cmdline: "", userland: true } });
    expect(() => unpackSession(tinyRam)).toThrow(/1 MiB/);
  });

  it("refuses a deflate bomb", async () => {
    const zeros = new Uint8Array(4 << 20);
    const stream = new Blob([zeros]).stream().pipeThrough(new CompressionStream("deflate-raw"));
    const bomb = new Uint8Array(await new Response(stream).arrayBuffer());
    await expect(decodeSession(toBase64Url(bomb))).rejects.toThrow(/more than/);
  });

  it("base64url round-trips every byte value", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(fromBase64Url(toBase64Url(all))).toEqual(all);
  });
});

describe("plain links and run", () => {
  it("carries only non-default configuration and the typed lines", () => {
    const link = plainLink("https://h/k/", { ramMiB: 256, clock: "realtime", cmdline: "", userland: true }, ["ls -l", "echo hi"]);
    const url = new URL(link);
    expect(url.searchParams.get("ram")).toBe("256");
    expect(url.searchParams.has("clock")).toBe(false);
    expect(url.searchParams.get("run")).toBe("ls -l\necho hi");
    expect(link).toContain("run=ls%20-l%0Aecho%20hi");
    expect(plainLink("https://h/k/", { ramMiB: 128, clock: "realtime", cmdline: "", userland: true }, [])).toBe("https://h/k/");
  });

  it("types each run line followed by Enter, except one ending in a signal key", () => {
    expect(runInput("ls -l")).toBe("ls -l\r");
    expect(runInput("ls\necho hi\n")).toBe("ls\recho hi\r");
    expect(runInput("a\r\nb")).toBe("a\rb\r");
    expect(runInput("spin 1 1000\n\x03\noops\x03")).toBe("spin 1 1000\r\x03oops\x03");
  });

  it("splits run into steps: Ctrl-] switches on their own, signal keys apart, empty lines pressing Enter", () => {
    expect(runSteps("ls\n\x1dmem\n\x1d\n\nspin 1 9\n\x03\nab\x03")).toEqual([
      { kind: "line", text: "ls\r" },
      { kind: "switch", text: "\x1d" },
      { kind: "line", text: "mem\r" },
      { kind: "switch", text: "\x1d" },
      { kind: "line", text: "\r" },
      { kind: "line", text: "spin 1 9\r" },
      { kind: "signal", text: "\x03" },
      { kind: "line", text: "ab\x03" },
    ]);
  });

  it("accepts keys in run, and refuses NUL", () => {
    expect(checkRun("ls\n\x1dmem\techo\x03\x1b[A")).toBeNull();
    expect(checkRun("ls\x00")).toMatch(/NUL/);
    expect(checkRun("x".repeat(5000))).toMatch(/at most/);
  });

  it("turns keystrokes into the lines they ran, Ctrl-C'd lines and signals kept", () => {
    const keys = ["l", "x", "\x7f", "s", "\r", "ech", "\x1b[D", "o hi\r", "oops\x03", "\r", "\x1dmem\r", "unfinished"];
    // The arrow key makes its line go key for key; "oops" Ctrl-C is typed
    // again as it was; the empty Enter stays; the last line never ran.
    expect(typedLines(keys.map(enc))).toEqual(["ls", "ech\x1b[Do hi", "oops\x03", "", "\x1dmem"]);
    expect(typedLines(["a\r\nb\n"])).toEqual(["a", "b"]);
    // A program stopped with Ctrl-C: the link stops it too (the old builder dropped the Ctrl-C).
    expect(typedLines(["spin 1 1000\r", "\x03", "echo after\r"])).toEqual(["spin 1 1000", "\x03", "echo after"]);
  });

  it("keeps the order of shell and monitor lines, each side keeping its own half-typed line", () => {
    // "ab" is typed in the shell, the monitor runs mem, then the shell's line goes on.
    expect(typedLines(["ab", "\x1d", "mem\r", "\x1d", "c\r"])).toEqual(["\x1dmem", "\x1dabc"]);
    // Ending in the monitor: the link ends there too.
    expect(typedLines(["ls\r\x1d"])).toEqual(["ls", "\x1d"]);
    // A visit to the monitor that typed nothing leaves nothing.
    expect(typedLines(["\x1d\x1dls\r"])).toEqual(["ls"]);
    // An empty Enter right after a switch is a line of its own.
    expect(typedLines(["\x1d\r"])).toEqual(["\x1d", ""]);
  });

  it("makes the exact-link reload: the same lines on the deterministic clock and a fresh shipped disk", () => {
    const url = new URL(exactReloadLink("https://h/k/", { ramMiB: 64, cmdline: "", userland: true }, ["echo a + b", "\x1dmem"]));
    expect(url.origin + url.pathname).toBe("https://h/k/");
    expect(url.searchParams.get("clock")).toBe("deterministic");
    expect(url.searchParams.get("disk")).toBe("memory");
    expect(url.searchParams.get("ram")).toBe("64");
    expect(url.searchParams.get("run")).toBe("echo a + b\n\x1dmem");
    expect(url.href).not.toContain("+");
  });
});

// ---- the link builder, randomized ----------------------------------------------

/** What keyboard input does to a console with two sides (the shell, and the
 *  monitor Ctrl-] switches to), each with its own line: the lines ended by
 *  Enter or a signal key, in order, with their side, and the side it ends on. */
function consoleEffect(keys: string): { events: string[]; side: number } {
  const events: string[] = [];
  const lines: [string[], string[]] = [[], []];
  const raw = [false, false];
  let side = 0;
  const editing = new Set(["\x1b", "\t", "\x01", "\x02", "\x05", "\x06", "\x0b", "\x0c", "\x0e", "\x10", "\x17", "\x19"]);
  const chars = [...keys];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const line = lines[side]!;
    const end = (how: string) => {
      events.push(`${side === 0 ? "sh" : "mon"} ${JSON.stringify(line.join(""))} ${how}`);
      lines[side] = [];
      raw[side] = false;
    };
    if (ch === "\r" || ch === "\n") {
      if (ch === "\r" && chars[i + 1] === "\n") i++;
      end("Enter");
    } else if (["\x03", "\x1c", "\x1a", "\x04"].includes(ch)) {
      line.push(ch);
      end("signal");
    } else if (ch === "\x1d") {
      side = 1 - side;
    } else if (raw[side]) {
      line.push(ch);
    } else if (ch === "\x7f" || ch === "\b") {
      line.pop();
    } else if (ch === "\x15") {
      lines[side] = [];
    } else if (editing.has(ch)) {
      raw[side] = true;
      line.push(ch);
    } else if (ch >= " ") {
      line.push(ch);
    }
  }
  return { events, side };
}

/** A key a person types: text (some of it beyond ASCII), Enter, Backspace,
 *  Ctrl-U, Ctrl-] (shell <-> monitor), Ctrl-C and the other signal keys, an arrow. */
const key = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom("l", "s", " ", "e", "c", "h", "o", "-", "é", "中", "😀", "+", "%", "&", "=", "#") },
  { weight: 3, arbitrary: fc.constant("\r") },
  { weight: 1, arbitrary: fc.constant("\x7f") },
  { weight: 1, arbitrary: fc.constant("\x15") },
  { weight: 2, arbitrary: fc.constant("\x1d") },
  { weight: 2, arbitrary: fc.constant("\x03") },
  { weight: 1, arbitrary: fc.constantFrom("\x1c", "\x1a", "\x04") },
  { weight: 1, arbitrary: fc.constantFrom("\x1b[D", "\x1b[A", "\t") },
);

/** The keys as the worker records them: UTF-8 chunks cut anywhere, a character's bytes included. */
const typing = fc.array(key, { maxLength: 60 }).chain((keys) => {
  const bytes = enc(keys.join(""));
  return fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }), { maxLength: 8 })
    .map((cuts) => {
      const at = [0, ...cuts.filter((c) => c < bytes.length).sort((a, b) => a - b), bytes.length];
      return { keys: keys.join(""), chunks: at.slice(1).map((end, i) => bytes.slice(at[i], end)) };
    });
});

describe("realtime links, randomized", () => {
  it("a link's run, read back from its URL, types what was typed to the same effect, in the same order", () => {
    fc.assert(fc.property(typing, ({ keys, chunks }) => {
      const lines = typedLines(chunks);
      const link = plainLink("https://h/k/", { ramMiB: 128, clock: "realtime", cmdline: "", userland: true }, lines);
      const run = parseParams(new URL(link).search).params.run;
      // Round trip: the URL gives the lines back.
      if (lines.length === 0) expect(new URL(link).searchParams.has("run")).toBe(false);
      else expect(runSteps(run).map((s) => s.text).join("")).toBe(runSteps(lines.join("\n") + (lines.at(-1) === "" ? "\n" : "")).map((s) => s.text).join(""));
      // Replay order: typing the steps one after the other runs the same
      // lines, on the same sides, in the same order, and ends on the same side.
      expect(consoleEffect(runInput(run))).toEqual(consoleEffect(keys));
      // No line of the link is empty of effect but an Enter or a switch.
      for (const step of runSteps(run)) expect(step.text.length).toBeGreaterThan(0);
    }), { numRuns: 400 });
  });

  it("the player sends the steps in order, each only once the console waits at a prompt (signals after a delay)", () => {
    fc.assert(fc.property(typing, fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 20 }), ({ chunks }, busyTicks) => {
      const steps = runSteps(typedLines(chunks).join("\n"));
      // A console that prints each step's echo, stays busy a few ticks, then prompts.
      let now = 0;
      let printed = "$ ";
      let busy = 0;
      let pendingPrompt = false;
      const sent: string[] = [];
      let sentWhileBusy = 0;
      const console = {
        get end() { return printed.length; },
        since: (mark: number) => printed.slice(mark),
        waitingForInput: () => busy === 0,
      };
      const player = new LinePlayer(steps, console, {
        now: () => now,
        send: (text) => {
          if (busy > 0) sentWhileBusy++;
          sent.push(text);
          printed += `${text.replace(/\r$/, "")}\n`;
          busy = busyTicks[sent.length % busyTicks.length]!;
          pendingPrompt = true;
        },
      });
      for (let tick = 0; tick < 10_000 && !player.done; tick++) {
        now += 50;
        if (busy > 0 && --busy === 0 && pendingPrompt) {
          printed += "$ ";
          pendingPrompt = false;
        }
        player.poll();
      }
      expect(player.done).toBe(true);
      expect(sent).toEqual(steps.map((s) => s.text));
      // Only a signal may go to a console that is still busy.
      expect(sentWhileBusy).toBeLessThanOrEqual(steps.filter((s) => s.kind === "signal").length);
    }), { numRuns: 200 });
  });
});
