// The target gdb debugs: a user-mode RV64 hart. Its description (gdb's
// target description XML, feature org.gnu.gdb.riscv.cpu: x0..x31 under
// their ABI names, then pc) fixes the register numbers of the g, G, p and P
// packets: 0..31 are x0..x31, 32 is pc.

export const REG_PC = 32;
export const REG_COUNT = 33;

export const ABI_NAMES = [
  "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
  "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
] as const;

function regType(index: number): string {
  if (index === 1) return "code_ptr";
  if (index === 2 || index === 8) return "data_ptr";
  return "int";
}

export function targetXml(): string {
  const regs = ABI_NAMES.map((name, i) => `    <reg name="${name}" bitsize="64" type="${regType(i)}" regnum="${i}"/>`);
  return [
    `<?xml version="1.0"?>`,
    `<!DOCTYPE target SYSTEM "gdb-target.dtd">`,
    `<target version="1.0">`,
    `  <architecture>riscv:rv64</architecture>`,
    `  <feature name="org.gnu.gdb.riscv.cpu">`,
    ...regs,
    `    <reg name="pc" bitsize="64" type="code_ptr" regnum="${REG_PC}"/>`,
    `  </feature>`,
    `</target>`,
    ``,
  ].join("\n");
}
