// Deterministic multi-machine sessions between processes (docs/network.md
// "Lockstep"; docs/share-links.md "A runner's recording"): a `keel switch
// --lockstep` and two runners on the deterministic clock, as real processes
// on a Unix socket, copy a file with nc, ping each other, and one fetches a
// page the other's httpd serves (then leaves at once). Run twice, the
// consoles and the recordings (every frame with its virtual time) are equal
// byte for byte; each machine's recording replays alone, without the switch
// or the other machine, to the same console; a tampered recording is
// reported as diverged; a bad recording, and bad lockstep messages either
// way, get a clear error and no hang.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createServer, connect, type Socket } from "node:net";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { decodeSession, encodeSession, type SessionFile } from "./session-file.js";
import { SwitchServer } from "./switch-server.js";
import { encodeWire, WireDecoder, WIRE_FLAG_LOCKSTEP, type WireMessage } from "../net/wire.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const boot = fileURLToPath(new URL("./boot.ts", import.meta.url));
const switchCli = fileURLToPath(new URL("./switch-cli.ts", import.meta.url));
const TIMEOUT = 120_000;

interface Ran { out: string; err: string; code: number | null }

const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "keel-lockstep-"));
  dirs.push(d);
  return d;
}

/** Starts a process; `input` is piped in and closed. */
function start(script: string, args: string[], input = ""): { child: ChildProcessWithoutNullStreams; done: Promise<Ran>; ran: Ran } {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: root });
  children.push(child);
  const ran: Ran = { out: "", err: "", code: null };
  child.stdout.setEncoding("latin1").on("data", (s: string) => (ran.out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (ran.err += s));
  const done = new Promise<Ran>((resolve) => child.once("exit", (code) => { ran.code = code; resolve(ran); }));
  child.stdin.end(input);
  return { child, done, ran };
}

async function waitFor(ran: Ran, pattern: RegExp, ms = TIMEOUT): Promise<void> {
  const end = Date.now() + ms;
  while (!pattern.test(ran.err)) {
    if (ran.code !== null || Date.now() > end) throw new Error(`no ${pattern} in\n${ran.err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// b listens and keeps what a sends; a waits 50 ms (five 10 ms ticks) for that, sends a program, then both
// ping; b serves one page and its runner ends at once (its last frames still reach a), a fetches it.
const SCRIPT_B = "true | nc -l 5000 > /got\ncksum /got\nping -c 2 10.0.0.1\necho hello from b > /index.html\nhttpd -n 1 /\n";
const SCRIPT_A = "sleep 5\nnc 10.0.0.2 5000 < /netd\ncksum /netd\nping -c 2 10.0.0.2\nsleep 50\nwget http://10.0.0.2/index.html\n";

interface Session { a: Ran; b: Ran; aRec: Uint8Array; bRec: Uint8Array; sw: Ran }

/** One two-machine lockstep session, recorded; both runners end by themselves when their input is over. */
async function session(): Promise<Session> {
  const dir = tempDir();
  const sock = join(dir, "sw.sock");
  const sw = start(switchCli, ["--listen", sock, "--lockstep", "--ports", "2"]);
  await waitFor(sw.ran, /listening on/);
  const runner = (ip: string, script: string) => start(boot, ["--ram", "64", "--clock", "deterministic", "--net", `switch:${sock}`,
    "--ip", `${ip}/24`, "--record", join(dir, `${ip}.rec`)], script);
  const b = runner("10.0.0.2", SCRIPT_B);
  const a = runner("10.0.0.1", SCRIPT_A);
  const [ra, rb] = await Promise.all([a.done, b.done]);
  sw.child.kill("SIGTERM");
  const rs = await sw.done;
  expect(ra.code, ra.err).toBe(0);
  expect(rb.code, rb.err).toBe(0);
  return { a: ra, b: rb, sw: rs, aRec: readFileSync(join(dir, "10.0.0.1.rec")), bRec: readFileSync(join(dir, "10.0.0.2.rec")) };
}

function replay(file: string): Promise<Ran> {
  return start(boot, ["--replay", file]).done;
}

describe("a two-machine session on a lockstep switch", () => {
  it("repeats bit for bit, and each machine's recording replays alone to the same console", async () => {
    const first = await session();
    // The session did what it says: the file arrived whole, the pings were answered.
    const [, crc, size] = first.a.out.match(/(\d+) (\d+) \/netd/)!;
    expect(Number(size)).toBeGreaterThan(20_000);
    expect(first.b.out).toContain(`${crc} ${size} /got`);
    expect(first.a.out).toContain("2 packets transmitted, 2 received");
    expect(first.b.out).toContain("2 packets transmitted, 2 received");
    expect(first.a.out).toMatch(/wget: 200 OK\r?\nhello from b\r?\nwget: 13 bytes/);
    expect(first.b.out).toContain("httpd: 10.0.0.1 GET /index.html 200 13");
    expect(first.sw.err).toMatch(/2 ports joined, 0 refused, \d+ quanta to \d+ ns/);

    const second = await session();
    expect(second.a.out).toBe(first.a.out);
    expect(second.b.out).toBe(first.b.out);
    expect(Buffer.compare(second.aRec, first.aRec)).toBe(0);
    expect(Buffer.compare(second.bRec, first.bRec)).toBe(0);

    // The frame logs: what b sent is what a received, in order, each at the first quantum boundary
    // at or after it was sent, the frames of b's last quantum too; the other way round the same,
    // up to where b left.
    const a = decodeSession(first.aRec);
    const b = decodeSession(first.bRec);
    expect(a.machine).toMatchObject({ lockstep: true, mac: "02:4b:0a:00:00:01", cmdline: "ip=10.0.0.1/24", ramMiB: 64 });
    expect(a.events.filter((e) => e.kind === "frame").length).toBe(b.sent.length);
    expect(b.events.filter((e) => e.kind === "frame").length).toBeLessThan(a.sent.length);
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const received = to.events.filter((e) => e.kind === "frame");
      expect(received.length).toBeGreaterThan(20);
      expect(received.map((e) => Buffer.from(e.bytes).toString("hex"))).toEqual(from.sent.slice(0, received.length).map((f) => Buffer.from(f.bytes).toString("hex")));
      received.forEach((e, i) => expect(e.timeNs).toBeGreaterThanOrEqual(from.sent[i]!.timeNs));
      let horizon = 0;
      for (const e of to.events) {
        if (e.kind === "horizon") horizon = e.horizonNs;
        if (e.kind === "frame") expect(e.timeNs).toBeGreaterThanOrEqual(horizon); // delivered while the machine stood at a horizon
      }
    }

    const dir = tempDir();
    writeFileSync(join(dir, "a.rec"), first.aRec);
    writeFileSync(join(dir, "b.rec"), first.bRec);
    const [ra, rb] = await Promise.all([replay(join(dir, "a.rec")), replay(join(dir, "b.rec"))]);
    expect(ra.code, ra.err).toBe(0);
    expect(rb.code, rb.err).toBe(0);
    expect(ra.out).toBe(first.a.out);
    expect(rb.out).toBe(first.b.out);
    expect(ra.err).toMatch(new RegExp(`--replay: done: \\d+ events given, ${a.sent.length} frames sent as recorded`));

    // A recording with one received frame changed (a byte of a ping's data) is a replay that diverges.
    const pings = b.events.filter((e) => e.kind === "frame" && e.bytes.length >= 98 && e.bytes[23] === 1 && e.bytes[34] === 8);
    expect(pings.length).toBe(2);
    const tampered: SessionFile = { ...b, events: b.events.map((e) => e === pings[1] && e.kind === "frame" ? { ...e, bytes: Uint8Array.from(e.bytes, (x, i) => (i === 90 ? x ^ 0xff : x)) } : e) };
    writeFileSync(join(dir, "t.rec"), encodeSession(tampered));
    const rt = await replay(join(dir, "t.rec"));
    expect(rt.code).toBe(3);
    expect(rt.err).toMatch(/--replay: diverged: sent frame \d+ differs from the recording's/);
  }, 4 * TIMEOUT);
});

describe("a runner without a network", () => {
  it("records its input and replays to the same console", async () => {
    const dir = tempDir();
    const rec = join(dir, "plain.rec");
    const first = await start(boot, ["--ram", "64", "--clock", "deterministic", "--record", rec], "echo one\nsleep 3\necho two | wc\n").done;
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/one\r?\n[\s\S]*1 +1 +4/);
    const again = await replay(rec);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toBe(first.out);
    expect(decodeSession(readFileSync(rec)).machine).toEqual({ ramMiB: 64, cpus: 1, cmdline: "", mac: null, lockstep: false });
  }, TIMEOUT);
});

describe("bad recordings", () => {
  it("are refused by the runner with the reason", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "junk.rec"), "hello, not a recording\n");
    writeFileSync(join(dir, "cut.rec"), gzipSync(Buffer.from('{"format":"keel-session","version":1,"kernel":"')).subarray(0, 20));
    const other = { format: "keel-session", version: 1, kernel: "0".repeat(64), disk: null, bootfs: null,
      machine: { ramMiB: 64, cpus: 1, cmdline: "", mac: null, lockstep: false }, events: [["e", 1, 0, 0]], sent: [] };
    writeFileSync(join(dir, "other.rec"), gzipSync(Buffer.from(JSON.stringify(other))));
    const [junk, cut, kernel, missing] = await Promise.all([
      replay(join(dir, "junk.rec")), replay(join(dir, "cut.rec")), replay(join(dir, "other.rec")), replay(join(dir, "nothing.rec"))]);
    expect(junk.code).toBe(2);
    expect(junk.err).toContain("junk.rec: it is not a Keel session recording (not gzip data)");
    expect(cut.code).toBe(2);
    expect(cut.err).toMatch(/cut\.rec: it does not unpack \(.*\): cut short or damaged/);
    expect(kernel.code).toBe(2);
    expect(kernel.err).toContain("other.rec: it was recorded on another kernel build (000000000000…");
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nothing\.rec: it cannot be read \(ENOENT/);
  }, TIMEOUT);
});

/** A raw connection to a switch, speaking the protocol by hand. */
class RawPort {
  readonly messages: WireMessage[] = [];
  closed = false;
  private readonly decoder = new WireDecoder();
  constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => { for (const m of this.decoder.push(d)) this.messages.push(m); });
    socket.on("close", () => (this.closed = true));
    socket.on("error", () => {});
  }
  static open(path: string): Promise<RawPort> {
    return new Promise((resolve, reject) => {
      const s = connect(path);
      s.once("connect", () => resolve(new RawPort(s)));
      s.once("error", reject);
    });
  }
  send(m: WireMessage | Uint8Array): void {
    this.socket.write(m instanceof Uint8Array ? m : encodeWire(m));
  }
  async next(type: WireMessage["type"], ms = 5000): Promise<WireMessage> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.messages.findIndex((m) => m.type === type);
      if (i >= 0) return this.messages.splice(i, 1)[0]!;
      if (Date.now() > end) throw new Error(`no ${type} (have ${this.messages.map((m) => m.type).join(", ")}; closed ${this.closed})`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

describe("bad lockstep messages", () => {
  it("the switch drops a port that breaks the lockstep, says why, and paces the others on", async () => {
    const dir = tempDir();
    const log: string[] = [];
    const server = new SwitchServer({ listen: join(dir, "sw.sock"), lockstep: true, lockstepPorts: 2, doneTimeoutMs: 3000, log: (l) => log.push(l) });
    const path = await server.listen();
    try {
      const hello = (n: number) => ({ type: "hello" as const, flags: WIRE_FLAG_LOCKSTEP, mac: Uint8Array.of(2, 0, 0, 0, 0, n), name: `raw ${n}` });
      const good = await RawPort.open(path);
      good.send(hello(1));
      const bad = await RawPort.open(path);
      bad.send(hello(2));
      expect(await good.next("welcome")).toMatchObject({ flags: WIRE_FLAG_LOCKSTEP, quantumNs: 100_000 });
      const t1 = await good.next("tick");
      expect(t1).toEqual({ type: "tick", horizonNs: 100_000 });
      await bad.next("tick");
      // A DONE for a horizon it was never told.
      bad.send({ type: "done", horizonNs: 700_000, wakeNs: null });
      expect(await bad.next("error")).toEqual({ type: "error", reason: "it said DONE at 700000 ns, but its horizon is 100000" });
      good.send({ type: "done", horizonNs: 100_000, wakeNs: 100_000 });
      expect(await good.next("tick")).toEqual({ type: "tick", horizonNs: 200_000 }); // the lockstep goes on without it

      // A runner that sends a TICK, one that sends a DONE of the wrong length, one that joins free-running.
      const cases: [string, (p: RawPort) => void, RegExp][] = [
        ["tick", (p) => p.send({ type: "tick", horizonNs: 5 }), /it sent tick, which only the switch sends/],
        ["short", (p) => p.send(Uint8Array.of(0, 4, 5, 0, 0, 0)), /it sent garbage: a DONE of 3 payload bytes/],
        ["free", () => {}, /this switch runs in lockstep/],
      ];
      for (const [name, act, reason] of cases) {
        const p = await RawPort.open(path);
        p.send(name === "free" ? { ...hello(9), flags: 0 } : hello(3));
        if (name !== "free") await p.next("welcome");
        act(p);
        const e = await p.next("error");
        expect(e.type === "error" && e.reason).toMatch(reason);
      }
      // One that never says DONE is dropped after --done-timeout, and the clock goes on.
      const silent = await RawPort.open(path);
      silent.send(hello(4));
      await silent.next("welcome");
      good.send({ type: "done", horizonNs: 200_000, wakeNs: 200_000 });
      await good.next("tick"); // 300000: silent is told it too
      good.send({ type: "done", horizonNs: 300_000, wakeNs: 300_000 });
      expect(await silent.next("error", 10_000)).toEqual({ type: "error", reason: "no DONE within 3000 ms of the TICK to 300000 ns" });
      expect(await good.next("tick")).toEqual({ type: "tick", horizonNs: 400_000 });
      expect(log.join("\n")).toMatch(/port \d dropped: raw 4 02:00:00:00:00:04: no DONE within 3000 ms/);
    } finally {
      await server.close();
    }
  }, TIMEOUT);

  /** A fake lockstep switch: WELCOME and a TICK to 200000 ns, then `bytes` after the runner's first DONE (or with WELCOME). */
  async function fakeSwitch(dir: string, bytes: Uint8Array, withWelcome: boolean): Promise<{ path: string; close(): Promise<void> }> {
    const path = join(dir, "fake.sock");
    const sockets: Socket[] = [];
    const fake = createServer((s) => {
      sockets.push(s);
      const d = new WireDecoder();
      s.on("error", () => {});
      s.on("data", (chunk: Buffer) => {
        for (const m of d.push(chunk)) {
          if (m.type === "hello") {
            s.write(encodeWire({ type: "welcome", flags: WIRE_FLAG_LOCKSTEP, quantumNs: 100_000, port: 1 }));
            s.write(withWelcome ? bytes : encodeWire({ type: "tick", horizonNs: 200_000 }));
          }
          if (m.type === "done" && !withWelcome) s.write(bytes);
        }
      });
    });
    await new Promise<void>((r) => fake.listen(path, r));
    return { path, close: () => { for (const s of sockets) s.destroy(); return new Promise<void>((r) => fake.close(() => r())); } };
  }

  const runnerOn = (path: string, dir: string) => start(boot, ["--ram", "64", "--clock", "deterministic", "--net", `switch:${path}`, "--ip", "10.0.0.5/24",
    "--record", join(dir, "r.rec")], "echo still here\n").done;

  it.each([
    ["a TICK of 3 payload bytes", Uint8Array.of(0, 4, 4, 1, 2, 3), /the switch sent garbage \(a TICK of 3 payload bytes\); the card's link is down/],
    ["a TICK back in time", encodeWire({ type: "tick", horizonNs: 100_000 }), /the switch sent a TICK to 100000 ns after one to 200000 ns \(time cannot go back\)/],
    ["a DONE", encodeWire({ type: "done", horizonNs: 1, wakeNs: null }), /the switch sent a done message, which only a runner sends/],
  ])("a runner given %s by its switch says so, runs on alone and ends", async (_what, bytes, reason) => {
    const dir = tempDir();
    const fake = await fakeSwitch(dir, bytes, false);
    try {
      const r = await runnerOn(fake.path, dir);
      expect(r.err).toMatch(reason);
      expect(r.err).toContain("--record: the recording ends here, where the switch went away");
      expect(r.out).toContain("still here");
      expect(r.code).toBe(0);
      const rec = decodeSession(readFileSync(join(dir, "r.rec")));
      expect(rec.machine.lockstep).toBe(true);
      expect(rec.events[0]).toMatchObject({ kind: "horizon", horizonNs: 200_000 });
    } finally {
      await fake.close();
    }
  }, TIMEOUT);

  it("a runner whose switch answers HELLO with garbage does not join, and says why", async () => {
    const dir = tempDir();
    const fake = await fakeSwitch(dir, Uint8Array.of(0, 4, 4, 1, 2, 3), true);
    try {
      const r = await runnerOn(fake.path, dir);
      expect(r.code).toBe(2);
      expect(r.err).toContain(`cannot join the switch at ${fake.path}: it does not speak the switch protocol (a TICK of 3 payload bytes)`);
    } finally {
      await fake.close();
    }
  }, TIMEOUT);
});
