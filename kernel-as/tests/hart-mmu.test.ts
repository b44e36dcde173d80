// The hart's Sv48 MMU and TLB: permission faults, superpages, A/D updates,
// TLB flushes and ASID isolation, non-canonical addresses, instructions
// straddling pages, and self-modifying code.

import { describe, expect, it } from "vitest";
import { Machine, CAUSE, PTE, TEXT, URW, URX, UR } from "./hart/support.js";

const V = 0x200000n; // a test page's virtual address, away from the program's pages

/** A machine whose program loads from / stores to V (a1) and then ecalls. */
function access(insn: string, flags: bigint | null, setup?: (m: Machine) => void) {
  const m = new Machine();
  m.load(`${insn}\necall`);
  if (flags !== null) m.map(V, m.h.testFrameAlloc(), flags);
  setup?.(m);
  m.setReg(11, V);
  return { m, cause: m.runToTrap() };
}

describe("permission faults", () => {
  it("a missing mapping faults with the access type's cause and the address", () => {
    for (const [insn, cause] of [["ld a0, 8(a1)", CAUSE.LOAD_PAGE], ["sd a0, 8(a1)", CAUSE.STORE_PAGE], ["amoadd.d a0, a0, (a1)", CAUSE.STORE_PAGE], ["lr.d a0, (a1)", CAUSE.LOAD_PAGE], ["jalr a1", CAUSE.FETCH_PAGE]] as const) {
      const { m, cause: got } = access(insn, null);
      expect(got, insn).toBe(cause);
      expect(m.tval(), insn).toBe(insn.startsWith("ld") || insn.startsWith("sd") ? V + 8n : V);
      if (cause !== CAUSE.FETCH_PAGE) expect(m.pc(), insn).toBe(TEXT);
      expect(m.instret()).toBe(insn.startsWith("jalr") ? 1n : 0n);
    }
  });
  it("loads need R, stores and AMOs need W, fetches need X, all need U", () => {
    const cases: Array<[string, bigint, number]> = [
      ["ld a0, 0(a1)", PTE.V | PTE.X | PTE.U | PTE.A, CAUSE.LOAD_PAGE],
      ["ld a0, 0(a1)", PTE.V | PTE.R | PTE.A, CAUSE.LOAD_PAGE], // supervisor page
      ["sd a0, 0(a1)", UR, CAUSE.STORE_PAGE],
      ["amoswap.d a0, a0, (a1)", UR, CAUSE.STORE_PAGE],
      ["sc.d a0, a0, (a1)", UR, CAUSE.ECALL], // no reservation: fails without touching memory
      ["jalr a1", URW, CAUSE.FETCH_PAGE],
      ["jalr a1", PTE.V | PTE.R | PTE.X | PTE.A, CAUSE.FETCH_PAGE],
    ];
    for (const [insn, flags, cause] of cases) expect(access(insn, flags).cause, `${insn} ${flags}`).toBe(cause);
    expect(access("ld a0, 0(a1)", UR).cause).toBe(CAUSE.ECALL);
    expect(access("sd a0, 0(a1)", URW).cause).toBe(CAUSE.ECALL);
  });
  it("V = 0, R = 0 with W = 1 and reserved high PTE bits fault", () => {
    expect(access("ld a0, 0(a1)", URW & ~PTE.V).cause).toBe(CAUSE.LOAD_PAGE);
    expect(access("ld a0, 0(a1)", PTE.V | PTE.W | PTE.U | PTE.A | PTE.D).cause).toBe(CAUSE.LOAD_PAGE);
    expect(access("ld a0, 0(a1)", URW | (1n << 54n)).cause).toBe(CAUSE.LOAD_PAGE);
    expect(access("ld a0, 0(a1)", URW | (1n << 63n)).cause).toBe(CAUSE.LOAD_PAGE);
  });
  it("a non-leaf entry with U, A or D set, or a pointer at level 0, faults", () => {
    const nonLeafWith = (bits: bigint) => access("ld a0, 0(a1)", URW, (m) => {
      // Find the level-1 table entry for V and set bits on it.
      const l0slot = m.h.testMapPte(m.root, V, 0, m.h.testPte(BigInt(m.h.testFrameAlloc()), URW));
      void l0slot;
      const view = m.view();
      let table = m.root;
      for (let level = 3; level > 1; level--) {
        const idx = Number((V >> BigInt(12 + 9 * level)) & 511n);
        table = Number((view.getBigUint64(table + idx * 8, true) >> 10n) << 12n);
      }
      const idx1 = Number((V >> 21n) & 511n);
      view.setBigUint64(table + idx1 * 8, view.getBigUint64(table + idx1 * 8, true) | bits, true);
    });
    expect(nonLeafWith(PTE.U).cause).toBe(CAUSE.LOAD_PAGE);
    expect(nonLeafWith(PTE.A).cause).toBe(CAUSE.LOAD_PAGE);
    expect(nonLeafWith(PTE.D).cause).toBe(CAUSE.LOAD_PAGE);
    expect(nonLeafWith(0n).cause).toBe(CAUSE.ECALL);
    // A level-0 entry that points to another table.
    expect(access("ld a0, 0(a1)", PTE.V).cause).toBe(CAUSE.LOAD_PAGE);
  });
  it("a non-canonical address is a page fault with that address", () => {
    for (const va of [0x0000_8000_0000_0000n, 0xffff_0000_0000_0000n, 0x1234_0000_0000_1000n]) {
      const m = new Machine();
      m.load("ld a0, 0(a1)\necall");
      m.setReg(11, va);
      expect(m.runToTrap()).toBe(CAUSE.LOAD_PAGE);
      expect(m.tval()).toBe(va);
    }
  });
  it("a frame outside RAM is an access fault", () => {
    const { m, cause } = access("ld a0, 0(a1)", null, (m) => m.map(V, 0x7fff_0000_0000, URW));
    expect(cause).toBe(CAUSE.LOAD_ACCESS);
    expect(m.tval()).toBe(V);
  });
  it("nothing of a faulting store is written, including a page-crossing one", () => {
    const { m, cause } = access("li t0, -1\nsd t0, -4(a1)", null, (m) => m.map(V - 0x1000n, m.h.testFrameAlloc(), URW));
    expect(cause).toBe(CAUSE.STORE_PAGE);
    expect(m.tval()).toBe(V); // the faulting part: the second page
    expect(m.readU64(V - 8n)).toBe(0n);
  });
});

describe("superpages", () => {
  it("2 MiB and 1 GiB pages translate every 4 KiB piece", () => {
    const m = new Machine();
    m.load("ld a0, 0(a1)\nld a2, 0(a3)\necall");
    const big = 0x0200_0000; // 32 MiB: 2 MiB aligned, inside the test frame pool
    m.map(0x4000_0000n, big, URW, 1);              // 2 MiB page at 1 GiB
    m.map(0x80_0000_0000n, 0, URW, 2);             // 1 GiB page at 512 GiB -> PA 0
    new DataView(m.mem.buffer).setBigUint64(big + 0x12_3450, 0x1111n, true);
    new DataView(m.mem.buffer).setBigUint64(0x30_0008, 0x2222n, true);
    m.setReg(11, 0x4000_0000n + 0x12_3450n);
    m.setReg(13, 0x80_0000_0000n + 0x30_0008n);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(10)).toBe(0x1111n);
    expect(m.reg(12)).toBe(0x2222n);
  });
  it("a superpage whose frame is not aligned to its size faults", () => {
    const m = new Machine();
    m.load("ld a0, 0(a1)\necall");
    m.map(0x4000_0000n, 0x0200_1000, URW, 1);
    m.setReg(11, 0x4000_0000n);
    expect(m.runToTrap()).toBe(CAUSE.LOAD_PAGE);
  });
});

describe("accessed and dirty bits", () => {
  it("the hart sets A on a load and A and D on a store", () => {
    const m = new Machine();
    m.load("ld a0, 0(a1)\nsd a0, 0(a2)\necall");
    const pteR = m.map(V, m.h.testFrameAlloc(), PTE.V | PTE.R | PTE.W | PTE.U);
    const pteW = m.map(V + 0x1000n, m.h.testFrameAlloc(), PTE.V | PTE.R | PTE.W | PTE.U);
    m.setReg(11, V);
    m.setReg(12, V + 0x1000n);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    const view = m.view();
    expect(view.getBigUint64(pteR, true) & (PTE.A | PTE.D)).toBe(PTE.A);
    expect(view.getBigUint64(pteW, true) & (PTE.A | PTE.D)).toBe(PTE.A | PTE.D);
  });
  it("a store after a cached load still sets D", () => {
    const m = new Machine();
    m.load("ld a0, 0(a1)\nsd a0, 0(a1)\necall");
    const pte = m.map(V, m.h.testFrameAlloc(), PTE.V | PTE.R | PTE.W | PTE.U);
    m.setReg(11, V);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.view().getBigUint64(pte, true) & PTE.D).toBe(PTE.D);
  });
});

describe("TLB", () => {
  const remapProgram = "ld a0, 0(a1)\necall\nld a0, 0(a1)\necall";
  const twoFrames = (m: Machine) => {
    const f1 = m.h.testFrameAlloc(), f2 = m.h.testFrameAlloc();
    new DataView(m.mem.buffer).setBigUint64(f1, 1n, true);
    new DataView(m.mem.buffer).setBigUint64(f2, 2n, true);
    return [f1, f2] as const;
  };
  it("keeps a stale translation until tlbFlushVa, then sees the new mapping", () => {
    const m = new Machine();
    m.load(remapProgram);
    const [f1, f2] = twoFrames(m);
    m.map(V, f1, URW);
    m.setReg(11, V);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(10)).toBe(1n);
    m.map(V, f2, URW);
    m.h.hartSetPc(m.ctx, TEXT + 8n);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(10)).toBe(1n); // cached
    m.h.tlbFlushVa(m.asid, V);
    m.h.hartSetPc(m.ctx, TEXT + 8n);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(10)).toBe(2n);
  });
  it("tlbFlushAsid and tlbFlushAll drop translations; a flush of another ASID does not", () => {
    for (const flush of ["asid", "other", "all"] as const) {
      const m = new Machine(5);
      m.load(remapProgram);
      const [f1, f2] = twoFrames(m);
      m.map(V, f1, URW);
      m.setReg(11, V);
      expect(m.runToTrap()).toBe(CAUSE.ECALL);
      m.map(V, f2, URW);
      if (flush === "asid") m.h.tlbFlushAsid(5);
      else if (flush === "other") m.h.tlbFlushAsid(6);
      else m.h.tlbFlushAll();
      m.h.hartSetPc(m.ctx, TEXT + 8n);
      expect(m.runToTrap()).toBe(CAUSE.ECALL);
      expect(m.reg(10), flush).toBe(flush === "other" ? 1n : 2n);
    }
  });
  it("flushing one address of a superpage drops every cached piece of it", () => {
    const m = new Machine();
    m.load("ld a0, 0(a1)\nld a2, 0(a3)\necall\nld a0, 0(a1)\nld a2, 0(a3)\necall");
    const base = 0x4000_0000n;
    m.map(base, 0x0200_0000, URW, 1);
    m.setReg(11, base);
    m.setReg(13, base + 0x10_0000n);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    m.map(base, 0x0220_0000, URW, 1);
    new DataView(m.mem.buffer).setBigUint64(0x0230_0000, 7n, true);
    m.h.tlbFlushVa(m.asid, base); // names the first piece only
    m.h.hartSetPc(m.ctx, TEXT + 12n);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(12)).toBe(7n);
  });
  it("two address spaces with different ASIDs never see each other's translations", () => {
    const m = new Machine(1);
    m.load("ld a0, 0(a1)\necall");
    const [f1, f2] = twoFrames(m);
    m.map(V, f1, URW);
    const rootA = m.root;
    // Second address space: same code frame, different data frame.
    const rootB = m.newRoot();
    m.map(TEXT, m.pa(TEXT), URX, 0, rootB);
    m.map(V, f2, URW, 0, rootB);
    m.setReg(11, V);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(10)).toBe(1n);
    for (const [asid, root, want] of [[2, rootB, 2n], [1, rootA, 1n], [2, rootB, 2n]] as const) {
      m.setSpace(asid, root);
      m.h.hartSetPc(m.ctx, TEXT);
      expect(m.runToTrap()).toBe(CAUSE.ECALL);
      expect(m.reg(10)).toBe(want);
    }
    // ASID 3 has no data page at all.
    const rootC = m.newRoot();
    m.map(TEXT, m.pa(TEXT), URX, 0, rootC);
    m.setSpace(3, rootC);
    m.h.hartSetPc(m.ctx, TEXT);
    expect(m.runToTrap()).toBe(CAUSE.LOAD_PAGE);
  });
  it("a fresh context has no address space and faults on fetch", () => {
    const m = new Machine();
    m.h.hartInit(m.ctx);
    m.h.hartSetPc(m.ctx, TEXT);
    expect(m.run(10)).toBe(CAUSE.FETCH_PAGE);
    expect(m.h.hartSetSatp(m.ctx, 8n << 60n)).toBe(-2);
  });
});

describe("instruction fetch", () => {
  const straddle = (mapSecond: boolean) => {
    const m = new Machine();
    const page = 0x30_0000n;
    m.map(page, m.h.testFrameAlloc(), URX);
    if (mapSecond) m.map(page + 0x1000n, m.h.testFrameAlloc(), URX);
    // c.nop up to 0xffe, then addi a0, zero, 42 split over the boundary, then ecall.
    m.writeU16(page + 0xffcn, 0x0001);
    m.writeU16(page + 0xffen, 0x0513); // low half of addi a0, zero, 42 (0x02a00513)
    if (mapSecond) {
      m.writeU16(page + 0x1000n, 0x02a0);
      m.writeU32(page + 0x1002n, 0x00000073);
    }
    m.h.hartSetPc(m.ctx, page + 0xffcn);
    return { m, page, cause: m.runToTrap() };
  };
  it("a 32-bit instruction straddling two pages fetches both halves", () => {
    const { m, cause, page } = straddle(true);
    expect(cause).toBe(CAUSE.ECALL);
    expect(m.reg(10)).toBe(42n);
    expect(m.pc()).toBe(page + 0x1002n);
  });
  it("when only the second page faults, the fault names the second page", () => {
    const { m, cause, page } = straddle(false);
    expect(cause).toBe(CAUSE.FETCH_PAGE);
    expect(m.tval()).toBe(page + 0x1000n);
    expect(m.pc()).toBe(page + 0xffen);
    expect(m.instret()).toBe(1n);
  });
  it("code written by the program runs after fence.i, even in the same page", () => {
    const m = new Machine();
    const syms = m.load(`
      la t0, patch
      li t1, 0x02a00513   # addi a0, zero, 42
      li a0, 1
      call patch
      sw t1, 0(t0)
      fence.i
      call patch
      ecall
    patch:
      addi a0, zero, 7
      ret`, { textFlags: URW | PTE.X });
    void syms;
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(10)).toBe(42n);
  });
  it("the kernel's hartInvalidateCode makes rewritten code visible", () => {
    const m = new Machine();
    m.load("li a0, 7\necall");
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(10)).toBe(7n);
    m.writeU32(TEXT, 0x02a00513);
    m.h.hartInvalidateCode(m.pa(TEXT), 4);
    m.h.hartSetPc(m.ctx, TEXT);
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(10)).toBe(42n);
  });
  it("a store into a code page drops its decoded blocks even without fence.i", () => {
    const m = new Machine();
    m.load(`
      la t0, 1f
      li t1, 0x02a00513   # addi a0, zero, 42
      call 1f
      mv s0, a0
      sw t1, 0(t0)
      call 1f
      ecall
    1: addi a0, zero, 7
      ret`, { textFlags: URW | PTE.X });
    expect(m.runToTrap()).toBe(CAUSE.ECALL);
    expect(m.reg(8)).toBe(7n);
    expect(m.reg(10)).toBe(42n);
  });
});
