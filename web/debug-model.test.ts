// The Debugger panel's pure pieces (web/debug-model.ts) and its key map
// (web/panels/debug-panel.ts): symbols of the shipped wc, the disassembly
// window landing on pc wherever decoding starts, calls recognised for step
// over, memory rows, changed registers, addresses typed in the panel.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../host/rv/asm.js";
import { parseElf, symbolValue } from "../host/rv/elf.js";
import {
  REGISTER_NAMES, SymbolTable, changedRegisters, disassembleAround, formatMemoryRow, isCall, memoryRows, parseAddress, parseTarget, u64At,
  watchValueText, watchWindow, withTarget,
} from "./debug-model.js";
import { ACTIONS, actionForKey, describeHit, describe as describeView } from "./panels/debug-panel.js";

const wc = new Uint8Array(readFileSync(new URL("../user/bin/wc", import.meta.url)));
const symbols = SymbolTable.fromElf(wc);
const text = parseElf(wc).segments[0]!;

describe("SymbolTable", () => {
  it("has the program's functions and objects, not the compiler's labels", () => {
    const names = symbols.symbols.map((s) => s.name);
    expect(names).toContain("main");
    expect(names).toContain("total");
    expect(names.some((n) => n.startsWith(".L"))).toBe(false);
    expect(symbols.symbols.find((s) => s.name === "main")!.addr).toBe(symbolValue(wc, "main"));
  });

  it("names every address inside a function by that function and offset", () => {
    const main = symbols.symbols.find((s) => s.name === "main")!;
    expect(symbols.name(main.addr)).toBe("main");
    expect(symbols.name(main.addr + 6n)).toBe("main+6");
    expect(symbols.inText(main.addr + 6n)).toBe(true);
    expect(symbols.name(main.addr + main.size)).not.toBe(`main+${main.size}`);
    // _start has no size: it runs up to the next symbol.
    expect(symbols.name(2n)).toBe("_start+2");
    // Data is named but not text.
    expect(symbols.name(symbolValue(wc, "total") + 8n)).toBe("total+8");
    expect(symbols.inText(symbolValue(wc, "total"))).toBe(false);
    expect(symbols.name(0x7fff_0000n)).toBeNull();
  });

  it("is empty for a file with no symbol table or not an ELF", () => {
    expect(SymbolTable.fromElf(new Uint8Array(100)).size).toBe(0);
    expect(new SymbolTable([]).name(0n)).toBeNull();
  });

  it("finds the symbol an address is in, for any address (against a linear search)", () => {
    const fns = symbols.symbols.filter((s) => s.size > 0n);
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: BigInt(text.data.length + 64) }), (addr) => {
      const s = symbols.containing(addr);
      const linear = fns.find((f) => f.addr <= addr && addr < f.addr + f.size);
      if (linear !== undefined) expect(s?.addr).toBe(linear.addr);
      if (s !== null && s.size > 0n) expect(addr >= s.addr && addr < s.addr + s.size).toBe(true);
    }));
  });
});

describe("disassembleAround", () => {
  it("lands on pc, wherever in the text it is, with no line overlapping another", () => {
    const starts: bigint[] = [];
    for (let at = 0; at + 2 <= text.data.length;) {
      starts.push(text.vaddr + BigInt(at));
      at += (text.data[at]! & 3) === 3 ? 4 : 2;
    }
    fc.assert(fc.property(fc.integer({ min: 0, max: starts.length - 1 }), fc.boolean(), (i, withSymbols) => {
      const pc = starts[i]!;
      const table = withSymbols ? symbols : new SymbolTable([]);
      const lines = disassembleAround(text.data, text.vaddr, pc, table, 8);
      const at = lines.findIndex((l) => l.addr === pc);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(at).toBeLessThanOrEqual(8);
      for (let j = 1; j < lines.length; j++) expect(lines[j]!.addr).toBe(lines[j - 1]!.addr + BigInt(lines[j - 1]!.length));
      // With the symbols the decoding starts where the functions do: every line is an instruction start.
      if (withSymbols && symbols.containing(pc)?.func) for (const l of lines) expect(starts).toContain(l.addr);
    }), { numRuns: 200 });
  });

  it("shows read's ecall with the symbols, and nothing for a pc outside the bytes", () => {
    const read = symbolValue(wc, "read");
    const lines = disassembleAround(text.data, text.vaddr, read, symbols);
    expect(lines[0]!.symbol).toBe("read");
    expect(lines.find((l) => l.text === "ecall")?.symbol).toBe("read+2");
    expect(disassembleAround(text.data, text.vaddr, BigInt(text.data.length + 100), symbols)).toEqual([]);
  });

  it("names a jump's target", () => {
    expect(withTarget("jal ra, .+16", 0x100n, new SymbolTable([{ name: "f", addr: 0x110n, size: 8n, func: true }]))).toBe("jal ra, 0x110 <f>");
    expect(withTarget("bne a0, a1, .-4", 0x100n, new SymbolTable([]))).toBe("bne a0, a1, 0xfc");
    expect(withTarget("addi a0, a0, 1", 0x100n, symbols)).toBe("addi a0, a0, 1");
  });
});

describe("isCall", () => {
  const word = (src: string): number => {
    const out = assemble(src).text;
    return out.length === 2 ? out[0]! | (out[1]! << 8) : (out[0]! | (out[1]! << 8) | (out[2]! << 16) | (out[3]! << 24)) >>> 0;
  };
  it("is true for jumps that link ra or t0, false for other jumps and instructions", () => {
    expect(isCall(word("jal ra, .+16"), 4)).toBe(true);
    expect(isCall(word("jalr ra, 0(a5)"), 4)).toBe(true);
    expect(isCall(word("jal t0, .+8"), 4)).toBe(true);
    expect(isCall(word("jal zero, .+8"), 4)).toBe(false);
    expect(isCall(word("jalr zero, 0(ra)"), 4)).toBe(false);
    expect(isCall(word("addi a0, a0, 1"), 4)).toBe(false);
    expect(isCall(0x9782, 2)).toBe(true); // c.jalr a5
    expect(isCall(0x8082, 2)).toBe(false); // c.jr ra (ret)
    expect(isCall(0x9002, 2)).toBe(false); // c.ebreak
  });
});

describe("memory rows", () => {
  it("are 16 bytes each, unreadable bytes as ?? and blank, the text printable ASCII only", () => {
    const data: (number | null)[] = [...Array.from(new TextEncoder().encode("hello\n")), 0x7f, ...new Array<null>(3).fill(null)];
    const rows = memoryRows(0x2000n, data);
    expect(rows).toHaveLength(1);
    expect(formatMemoryRow(rows[0]!)).toBe("0000000000002000  68 65 6c 6c 6f 0a 7f ?? ?? ??  hello..   ");
  });

  it("cover every byte once, in order (any data)", () => {
    fc.assert(fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 255 }), { nil: null }), { maxLength: 200 }), fc.bigInt({ min: 0n, max: 1n << 40n }), (data, addr) => {
      const rows = memoryRows(addr, data);
      expect(rows.flatMap((r) => r.bytes)).toEqual(data);
      rows.forEach((r, i) => {
        expect(r.addr).toBe(addr + BigInt(i * 16));
        expect(formatMemoryRow(r).split("  ")[0]).toBe(r.addr.toString(16).padStart(16, "0"));
      });
    }));
  });

  it("read little-endian words", () => {
    expect(u64At(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 0)).toBe(0x0807060504030201n);
    expect(u64At(Uint8Array.from([1, 2, 3]), 0)).toBeNull();
  });
});

describe("the panel's registers, addresses and keys", () => {
  it("names x0..x31 by their ABI names, then pc", () => {
    expect(REGISTER_NAMES).toHaveLength(33);
    expect(REGISTER_NAMES[1]).toBe("x1 ra");
    expect(REGISTER_NAMES[2]).toBe("x2 sp");
    expect(REGISTER_NAMES[10]).toBe("x10 a0");
    expect(REGISTER_NAMES[32]).toBe("pc");
  });

  it("highlights exactly the registers that differ", () => {
    expect(changedRegisters(null, ["1", "2"])).toEqual([]);
    expect(changedRegisters(["1", "2", "3"], ["1", "5", "4"])).toEqual([1, 2]);
    expect(changedRegisters(["1"], ["1", "2"])).toEqual([]);
  });

  it("reads hex addresses and the program's symbols", () => {
    expect(parseAddress("0x4f30", null)).toBe(0x4f30n);
    expect(parseAddress("4F30", null)).toBe(0x4f30n);
    expect(parseAddress("total", symbols)).toBe(symbolValue(wc, "total"));
    expect(parseAddress("nope", symbols)).toBeNull();
    expect(parseAddress("0x12345678123456789", null)).toBeNull();
  });

  it("reads symbol+offset, with the bytes left of the symbol (a watchpoint's default length)", () => {
    const total = symbolValue(wc, "total");
    expect(parseTarget("total", symbols)).toEqual({ addr: total, size: 24n });
    expect(parseTarget("total+16", symbols)).toEqual({ addr: total + 16n, size: 8n });
    expect(parseTarget("total + 0x10", symbols)).toEqual({ addr: total + 16n, size: 8n });
    expect(parseTarget("total+24", symbols)).toBeNull(); // past its end
    expect(parseTarget("total-1", symbols)).toBeNull();
    expect(parseTarget("0x10", symbols)).toEqual({ addr: 0x10n, size: null });
    expect(parseTarget("main+2", null)).toBeNull();
  });

  it("shows up to 8 bytes of a hit, inside the watched range", () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 1n << 40n }), fc.integer({ min: 1, max: 4096 }), fc.integer({ min: -8, max: 4200 }), (addr, len, off) => {
      const [at, size] = watchWindow(addr, len, addr + BigInt(off));
      expect(size).toBe(Math.min(8, len));
      expect(at).toBeGreaterThanOrEqual(0);
      expect(at + size).toBeLessThanOrEqual(len);
      if (off >= 0 && off < len) expect(at <= off && off < at + size).toBe(true);
    }));
  });

  it("words a watched value and a hit", () => {
    expect(watchValueText([12, 0, 0, 0, 0, 0, 0, 0])).toBe("12 (0x000000000000000c)");
    expect(watchValueText([0x68, 0x69, 0, 0])).toBe('26984 (0x00006968) "hi"');
    expect(watchValueText([1, null])).toBe("unreadable");
    const hit = {
      watch: { addr: "0000000000002090", len: 8, kind: "write" as const, label: "total+16" }, addr: "0000000000002090", kind: "write" as const,
      valueAt: "0000000000002090", valueLabel: "total+16", old: [0, 0, 0, 0, 0, 0, 0, 0], new: [12, 0, 0, 0, 0, 0, 0, 0],
      pc: "0000000000000bd6", symbol: "main+108", instruction: "sd a0, 16(s5)", bySyscall: false, position: "1951",
    };
    expect(describeHit(hit)).toBe("Watchpoint total+16 (write) hit by `sd a0, 16(s5)` at main+108 (0xbd6); total+16: 0 (0x0000000000000000) → 12 (0x000000000000000c)");
    expect(describeHit({ ...hit, kind: "read", old: hit.new })).toMatch(/; total\+16 = 12 \(0x000000000000000c\)$/);
    expect(describeHit({ ...hit, bySyscall: true, instruction: "ecall (read: the kernel wrote it)", symbol: "read+2" }))
      .toContain("hit by the system call at read+2 (0xbd6): ecall (read: the kernel wrote it);");
  });

  it("maps F5/F6/F10/F11 and their Shift forms to the buttons, one action per key", () => {
    expect(actionForKey("F11", false)).toBe("step");
    expect(actionForKey("F10", false)).toBe("next");
    expect(actionForKey("F5", false)).toBe("continue");
    expect(actionForKey("F6", false)).toBe("pause");
    expect(actionForKey("F11", true)).toBe("reverse-step");
    expect(actionForKey("F5", true)).toBe("reverse-continue");
    expect(actionForKey("a", false)).toBeNull();
    const keys = ACTIONS.map((a) => `${a.shift}${a.key}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("says why a process ended", () => {
    const base = {
      pid: null, awaitingExec: null, name: null, state: "detached" as const, reason: null, signal: null, regs: [], disasm: [], stack: [], breakpoints: [], watchpoints: [], hit: null,
      symbols: "", position: null, historyStart: null, furthest: null, reverse: { on: true as const },
    };
    expect(describeView({ ...base, exited: { pid: 6, status: 0, signal: 0 } })).toBe("Process 6 exited with status 0.");
    expect(describeView({ ...base, exited: { pid: 6, status: 0, signal: 9 } })).toBe("Process 6 was killed by signal 9.");
  });
});
