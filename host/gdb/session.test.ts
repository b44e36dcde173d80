// The GDB server's core without a machine: framing, escaping, every packet
// against a fake target, and random bytes that must never throw nor get
// anything but well-formed replies.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PacketReader, framePacket, latin1, latin1Text, unescapeBinary, regHex, parseRegHex, MAX_PACKET } from "./packets.js";
import { GdbSession, type DebugTarget, type ReverseOutcome, type StopInfo, type TargetEvent, type WatchKind } from "./session.js";
import { REG_COUNT, registerBytes, targetXml } from "./riscv.js";

/** A process in memory: 64 KiB readable from 0x10000, writable from 0x18000. */
class FakeTarget implements DebugTarget {
  attached: number | null = 7;
  isStopped = true;
  regs: bigint[] = Array.from({ length: 69 }, (_, i) => BigInt(i) * 0x1111n);
  mem = new Uint8Array(0x10000).map((_, i) => i & 0xff);
  breaks = new Set<bigint>();
  watches: string[] = [];
  resumed: ("step" | "continue")[] = [];
  interrupts = 0;
  killed = false;
  detached = false;
  events: TargetEvent[] = [];
  stop: StopInfo = { signal: 5, reason: "attach" };

  pid() { return this.attached; }
  stopped() { return this.isStopped; }
  lastStop() { return this.stop; }
  attach(pid: number) {
    if (this.attached !== null) return false;
    this.attached = pid;
    this.isStopped = true;
    this.stop = { signal: 5, reason: "attach" };
    return true;
  }
  readRegisters() { return this.regs.slice(0, REG_COUNT); }
  readRegister(i: number) { return registerBytes(i) === 0 ? null : this.regs[i]!; }
  writeRegister(i: number, v: bigint) { if (registerBytes(i) === 0) return false; if (i > 0) this.regs[i] = v; return true; }
  readMemory(addr: bigint, len: number) {
    const start = Number(addr - 0x10000n);
    if (addr < 0x10000n || start >= this.mem.length) return new Uint8Array(0);
    return this.mem.slice(start, Math.min(this.mem.length, start + len));
  }
  writeMemory(addr: bigint, data: Uint8Array) {
    if (addr < 0x18000n || addr + BigInt(data.length) > 0x20000n) return false;
    this.mem.set(data, Number(addr - 0x10000n));
    return true;
  }
  setBreakpoint(addr: bigint, on: boolean) {
    if (addr < 0x10000n) return false;
    if (on) this.breaks.add(addr); else this.breaks.delete(addr);
    return true;
  }
  setWatchpoint(addr: bigint, len: number, kind: WatchKind, on: boolean) { this.watches.push(`${on ? "+" : "-"}${kind}@${addr.toString(16)}/${len}`); return true; }
  resume(step: boolean) { this.resumed.push(step ? "step" : "continue"); this.isStopped = false; return true; }
  interrupt() { this.interrupts++; }
  kill() { this.killed = true; }
  detach() { this.detached = true; this.attached = null; }
  takeEvent() { return this.events.shift() ?? null; }
  /** Reverse execution, when set: what each bs or bc comes to. */
  reverseOutcomes: ReverseOutcome[] | null = null;
  reversed: ("step" | "continue")[] = [];
  canReverse() { return this.reverseOutcomes !== null; }
  reverse(direction: "step" | "continue"): ReverseOutcome {
    this.reversed.push(direction);
    const outcome = this.reverseOutcomes?.shift() ?? { kind: "error", message: "nothing left" };
    if (outcome.kind === "stop") this.stop = outcome.stop;
    return outcome;
  }
  /** The process stops (or exits) as the machine would report it. */
  happen(event: TargetEvent) {
    this.events.push(event);
    if (event.kind === "stop") { this.stop = event.stop; this.isStopped = true; }
    else { this.attached = null; }
  }
}

/** A session and everything it sent, decoded: reply payloads and acks. */
function connect(target = new FakeTarget()) {
  const reader = new PacketReader();
  const replies: string[] = [];
  let acks = "";
  const session = new GdbSession(target, (bytes) => {
    for (const e of reader.feed(bytes)) {
      if (e.kind === "packet") replies.push(latin1Text(unescapeBinary(e.payload)));
      else if (e.kind === "ack") acks += "+";
      else if (e.kind === "nack") acks += "-";
      else throw new Error(`the server sent a broken frame: ${e.kind}`);
    }
  });
  const ask = (payload: string): string | undefined => {
    const before = replies.length;
    session.receive(framePacket(payload));
    return replies.length > before ? replies[replies.length - 1] : undefined;
  };
  return { session, target, replies, ask, acks: () => acks };
}

describe("packet framing", () => {
  it("frames with the modulo-256 checksum in two lowercase hex digits", () => {
    expect(latin1Text(framePacket("OK"))).toBe("$OK#9a");
    expect(latin1Text(framePacket(""))).toBe("$#00");
  });

  it("escapes $, #, } and * and the reader gives the payload back", () => {
    const framed = framePacket(Uint8Array.from([0x24, 0x23, 0x7d, 0x2a, 0x41]));
    expect(latin1Text(framed).slice(0, 10)).toBe("$}\x04}\x03}]}\x0aA");
    const [event] = new PacketReader().feed(framed);
    expect(event?.kind).toBe("packet");
    expect([...unescapeBinary((event as { payload: Uint8Array }).payload)]).toEqual([0x24, 0x23, 0x7d, 0x2a, 0x41]);
  });

  it("reads packets split anywhere and mixed with acks and interrupts", () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom("+", "-", "\x03")), { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (items, cuts) => {
        const parts = items.map((i) => (typeof i === "string" ? latin1(i) : framePacket(i)));
        const stream = Uint8Array.from(parts.flatMap((p) => [...p]));
        const reader = new PacketReader();
        const events = [];
        let at = 0;
        for (const c of [...cuts.map((c) => c % (stream.length + 1)), stream.length].sort((a, b) => a - b)) {
          events.push(...reader.feed(stream.subarray(at, Math.max(at, c))));
          at = Math.max(at, c);
        }
        const expected = items.map((i) => typeof i === "string" ? (i === "+" ? "ack" : i === "-" ? "nack" : "interrupt") : latin1Text(i));
        const got = events.map((e) => e.kind === "packet" ? latin1Text(unescapeBinary(e.payload)) : e.kind);
        expect(got).toEqual(expected);
      },
    ));
  });

  it("rejects a bad checksum and an oversized packet, and recovers for the next one", () => {
    const reader = new PacketReader();
    expect(reader.feed(latin1("$OK#00"))).toEqual([{ kind: "bad-checksum" }]);
    expect(reader.feed(latin1("$OK#zz"))).toEqual([{ kind: "bad-checksum" }]);
    const huge = framePacket("x".repeat(MAX_PACKET + 1));
    expect(reader.feed(huge)).toEqual([{ kind: "too-long" }]);
    expect(reader.feed(framePacket("g")).map((e) => e.kind)).toEqual(["packet"]);
  });

  it("encodes registers as 8 little-endian bytes", () => {
    expect(regHex(0x1122334455667788n)).toBe("8877665544332211");
    expect(regHex(-1n)).toBe("ffffffffffffffff");
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => { expect(parseRegHex(regHex(v))).toBe(v); }));
    expect(parseRegHex("12")).toBeNull();
  });
});

describe("the session against a target", () => {
  it("acknowledges packets, nacks a bad checksum, and stops acking after QStartNoAckMode", () => {
    const c = connect();
    c.session.receive(latin1("$g#00"));
    expect(c.acks()).toBe("-");
    expect(c.ask("QStartNoAckMode")).toBe("OK");
    expect(c.ask("?")).toBe("T05thread:7;");
    expect(c.acks()).toBe("-+"); // the bad one, then QStartNoAckMode's
  });

  it("describes an RV64 target with x0..x31 and pc in the riscv cpu feature", () => {
    const c = connect();
    expect(c.ask("qSupported:swbreak+;hwbreak+")).toMatch(/^PacketSize=1000;qXfer:features:read\+;swbreak\+/);
    const xml = targetXml();
    expect(xml).toContain('<feature name="org.gnu.gdb.riscv.cpu">');
    expect(xml).toContain("<architecture>riscv:rv64</architecture>");
    expect((xml.match(/<reg /g) ?? []).length).toBe(33 + 35);
    expect(xml).toContain('<feature name="org.gnu.gdb.riscv.fpu">');
    expect(xml).toContain('<reg name="fcsr" bitsize="32" type="int" regnum="68" group="float"/>');
    // Read in pieces as gdb does: m for more, l for the last.
    const first = c.ask("qXfer:features:read:target.xml:0,40")!;
    expect(first.startsWith("m")).toBe(true);
    let doc = first.slice(1);
    for (;;) {
      const part = c.ask(`qXfer:features:read:target.xml:${doc.length.toString(16)},40`)!;
      doc += part.slice(1);
      if (part.startsWith("l")) break;
    }
    expect(doc).toBe(xml);
    expect(c.ask("qXfer:features:read:other.xml:0,40")).toMatch(/^E/);
  });

  it("answers the thread queries with the pid", () => {
    const c = connect();
    expect(c.ask("qfThreadInfo")).toBe("m7");
    expect(c.ask("qsThreadInfo")).toBe("l");
    expect(c.ask("qC")).toBe("QC7");
    expect(c.ask("qAttached")).toBe("1");
    expect(c.ask("Hg7")).toBe("OK");
    expect(c.ask("T7")).toBe("OK");
    expect(c.ask("T8")).toMatch(/^E/);
  });

  it("reads and writes registers", () => {
    const c = connect();
    const g = c.ask("g")!;
    expect(g.length).toBe(REG_COUNT * 16);
    expect(g.slice(16 * 2, 16 * 3)).toBe(regHex(0x2222n));
    expect(c.ask("p20")).toBe(regHex(0x20n * 0x1111n)); // pc
    expect(c.ask(`P20=${regHex(0x1234n)}`)).toBe("OK");
    expect(c.target.regs[32]).toBe(0x1234n);
    expect(c.ask(`G${g}`)).toBe("OK");
    expect(c.target.regs[32]).toBe(0x20n * 0x1111n);
    // f0..f31 (33..64) in 8 bytes, fflags/frm/fcsr (66..68) in 4; 65 and beyond 68 do not exist.
    expect(c.ask("p21")).toBe(regHex(0x21n * 0x1111n));
    expect(c.ask("p44")).toBe(regHex(0x44n * 0x1111n, 4));
    expect(c.ask(`P44=${regHex(0xe0n, 4)}`)).toBe("OK");
    expect(c.target.regs[0x44]).toBe(0xe0n);
    expect(c.ask(`P44=${regHex(0xe0n)}`)).toMatch(/^E/); // 8 bytes for a 4-byte register
    expect(c.ask("p41")).toMatch(/^E/);
    expect(c.ask("p45")).toMatch(/^E/);
    expect(c.ask("pffffffffffff")).toMatch(/^E/);
    expect(c.ask("Gabc")).toMatch(/^E/);
  });

  it("reads memory, short where it ends and an error where none is readable", () => {
    const c = connect();
    expect(c.ask("m10000,4")).toBe("00010203");
    expect(c.ask("m1fffe,4")).toBe("feff");
    expect(c.ask("m5000,4")).toMatch(/^E/);
    expect(c.ask("m10000,zz")).toMatch(/^E/);
    expect(c.ask("m10000")).toMatch(/^E/);
    expect(c.ask("m10000,0")).toBe("");
  });

  it("writes memory in hex and in binary, and refuses what the target refuses", () => {
    const c = connect();
    expect(c.ask("M18000,2:abcd")).toBe("OK");
    expect([...c.target.mem.subarray(0x8000, 0x8002)]).toEqual([0xab, 0xcd]);
    expect(c.ask("M10000,1:00")).toMatch(/^E/); // read-only
    expect(c.ask("M18000,2:ab")).toMatch(/^E/); // length mismatch
    // X with bytes the framing must escape.
    c.session.receive(framePacket(Uint8Array.from([...latin1("X18010,3:"), 0x24, 0x7d, 0x23])));
    expect(c.replies.at(-1)).toBe("OK");
    expect([...c.target.mem.subarray(0x8010, 0x8013)]).toEqual([0x24, 0x7d, 0x23]);
    expect(c.ask("X18000,0:")).toBe("OK");
  });

  it("sets breakpoints and watchpoints of every kind", () => {
    const c = connect();
    expect(c.ask("Z0,10100,2")).toBe("OK");
    expect(c.ask("Z1,10104,4")).toBe("OK");
    expect([...c.target.breaks]).toEqual([0x10100n, 0x10104n]);
    expect(c.ask("z0,10100,2")).toBe("OK");
    expect(c.ask("Z0,100,2")).toMatch(/^E/);
    expect(c.ask("Z2,18000,8")).toBe("OK");
    expect(c.ask("Z3,18008,4")).toBe("OK");
    expect(c.ask("Z4,18010,1")).toBe("OK");
    expect(c.ask("z2,18000,8")).toBe("OK");
    expect(c.target.watches).toEqual(["+write@18000/8", "+read@18008/4", "+access@18010/1", "-write@18000/8"]);
    expect(c.ask("Z2,18000,0")).toMatch(/^E/);
    expect(c.ask("Z9,18000,4")).toBe("");
  });

  it("continues, and answers with the stop when the target stops", () => {
    const c = connect();
    expect(c.ask("c")).toBeUndefined();
    expect(c.target.resumed).toEqual(["continue"]);
    expect(c.ask("g")).toMatch(/^E/); // running
    c.target.happen({ kind: "stop", stop: { signal: 5, reason: "break" } });
    c.session.poll();
    expect(c.replies.at(-1)).toBe("T05thread:7;");
    // With swbreak negotiated the reason is given.
    c.ask("qSupported:swbreak+");
    c.ask("vCont;c:7");
    c.target.happen({ kind: "stop", stop: { signal: 5, reason: "break" } });
    c.session.poll();
    expect(c.replies.at(-1)).toBe("T05thread:7;swbreak:;");
    c.ask("s");
    c.target.happen({ kind: "stop", stop: { signal: 5, reason: "watch", watch: { kind: "access", addr: 0x18010n } } });
    c.session.poll();
    expect(c.replies.at(-1)).toBe("T05thread:7;awatch:18010;");
    expect(c.target.resumed).toEqual(["continue", "continue", "step"]);
  });

  it("answers malformed or foreign vCont actions and H packets with errors, resuming nothing", () => {
    const c = connect();
    for (const bad of ["vCont;s:zz", "vCont;c:7:1", "vCont;x", "vCont;", "vCont;c:8", "vCont;s:8;c:9"]) {
      expect(c.ask(bad), bad).toMatch(/^E/);
    }
    for (const bad of ["Hx7", "Hg8", "Hcq", "H"]) expect(c.ask(bad), bad).toMatch(/^E/);
    expect(c.target.resumed).toEqual([]);
    // An action for a thread not ours is skipped; the one for all threads applies.
    expect(c.ask("vCont;s:8;c")).toBeUndefined();
    expect(c.target.resumed).toEqual(["continue"]);
  });

  it("interrupts a running target on Ctrl-C and reports the stop", () => {
    const c = connect();
    c.ask("vCont;c");
    c.session.receive(Uint8Array.of(0x03));
    expect(c.target.interrupts).toBe(1);
    c.target.happen({ kind: "stop", stop: { signal: 2, reason: "interrupt" } });
    c.session.poll();
    expect(c.replies.at(-1)).toBe("T02thread:7;");
    c.session.receive(Uint8Array.of(0x03)); // stopped already: nothing to interrupt
    expect(c.target.interrupts).toBe(1);
  });

  it("reports an exit, then answers as for a process that is gone", () => {
    const c = connect();
    c.ask("c");
    c.target.happen({ kind: "exit", status: 3, signal: 0 });
    c.session.poll();
    expect(c.replies.at(-1)).toBe("W03");
    expect(c.ask("?")).toBe("W03");
    expect(c.ask("g")).toMatch(/^E/);
    expect(c.ask("c")).toBe("W03");
    expect(c.ask("vAttach;9")).toBe("T05thread:9;");
    c.ask("c");
    c.target.happen({ kind: "exit", status: -1, signal: 11 });
    c.session.poll();
    expect(c.replies.at(-1)).toBe("X0b"); // ended by SIGSEGV
  });

  it("waits to answer '?' until a process is attached", () => {
    const target = new FakeTarget();
    target.attached = null;
    const c = connect(target);
    expect(c.ask("?")).toBeUndefined();
    c.session.poll();
    expect(c.replies.length).toBe(0);
    target.attached = 12;
    c.session.poll();
    expect(c.replies.at(-1)).toBe("T05thread:c;");
    // In extended mode gdb can attach itself: "no process" is the answer.
    const idle = new FakeTarget();
    idle.attached = null;
    const e = connect(idle);
    expect(e.ask("!")).toBe("OK");
    expect(e.ask("?")).toBe("W00");
    expect(e.ask("vAttach;2")).toBe("T05thread:2;");
  });

  it("detaches and kills", () => {
    const c = connect();
    expect(c.ask("D")).toBe("OK");
    expect(c.target.detached).toBe(true);
    const d = connect();
    expect(d.ask("k")).toBeUndefined();
    expect(d.target.killed).toBe(true);
  });

  it("answers monitor commands in hex", () => {
    const c = connect();
    const text = (hex: string) => Buffer.from(hex, "hex").toString();
    expect(text(c.ask(`qRcmd,${Buffer.from("status").toString("hex")}`)!)).toBe("pid 7, stopped\n");
    expect(text(c.ask(`qRcmd,${Buffer.from("nonsense").toString("hex")}`)!)).toMatch(/unknown monitor command/);
    expect(c.ask("qRcmd,zz")).toMatch(/^E/);
  });

  it("offers reverse execution only when the target can, and answers bs and bc with stop replies at once", () => {
    const plain = connect();
    expect(plain.ask("qSupported:swbreak+")).not.toContain("Reverse");
    expect(plain.ask("bs")).toBe("E.reverse execution needs the deterministic clock (--clock deterministic)");
    expect(plain.target.resumed).toEqual([]);

    const target = new FakeTarget();
    target.reverseOutcomes = [
      { kind: "stop", stop: { signal: 5, reason: "step" } },
      { kind: "stop", stop: { signal: 5, reason: "break" } },
      { kind: "stop", stop: { signal: 5, reason: "watch", watch: { kind: "write", addr: 0x2090n } } },
      { kind: "begin" },
      { kind: "error", message: "history diverged" },
    ];
    const c = connect(target);
    expect(c.ask("qSupported:swbreak+;hwbreak+")).toMatch(/;ReverseStep\+;ReverseContinue\+/);
    expect(c.ask("bs")).toBe("T05thread:7;");
    expect(c.ask("bc")).toBe("T05thread:7;swbreak:;");
    expect(c.ask("bc")).toBe("T05thread:7;watch:2090;");
    expect(c.ask("?")).toBe("T05thread:7;watch:2090;");
    expect(c.ask("bc")).toBe("T05thread:7;replaylog:begin;");
    expect(c.ask("bs")).toBe("E.history diverged");
    expect(target.reversed).toEqual(["step", "continue", "continue", "continue", "step"]);
    // Not while it runs, not without a process, and bx is no packet of ours.
    expect(c.ask("bx")).toBe("");
    c.ask("c");
    expect(c.ask("bs")).toBe("E10");
    target.happen({ kind: "exit", status: 0, signal: 0 });
    c.session.poll();
    expect(c.ask("bs")).toBe("W00");
    expect(target.reversed.length).toBe(5);
  });

  it("never throws and only ever sends well-formed frames, whatever bytes arrive", () => {
    const interesting = fc.constantFrom(
      "?", "g", "G", "p", "P", "m", "M", "X", "Z", "z", "c", "s", "C", "S", "v", "vCont;", "vCont;x", "vAttach;", "q", "qXfer:features:read:target.xml:", "qRcmd,",
      "H", "T", "D", "k", "Q", "bs", "bc", ",", ":", ";", "=", "-1", "ffffffffffffffffff", "0", "10000", "#", "$", "}", "\x03",
    );
    const packetText = fc.array(fc.oneof(interesting, fc.string({ maxLength: 6 })), { maxLength: 8 }).map((a) => a.join(""));
    fc.assert(fc.property(
      fc.array(fc.oneof(packetText.map((t) => framePacket(t)), fc.uint8Array({ maxLength: 40 })), { maxLength: 10 }),
      fc.boolean(),
      (chunks, stopEvents) => {
        const c = connect();
        for (const chunk of chunks) {
          c.session.receive(chunk);
          if (stopEvents && !c.target.isStopped && c.target.attached !== null) {
            c.target.happen({ kind: "stop", stop: { signal: 5, reason: "step" } });
            c.session.poll();
          }
        }
        for (const r of c.replies) expect(typeof r).toBe("string");
      },
    ), { numRuns: 300 });
  });
});
