// The target gdb debugs: a user-mode RV64GC hart. Its description (gdb's
// target description XML) fixes the register numbers of the g, G, p and P
// packets: feature org.gnu.gdb.riscv.cpu has x0..x31 (0..31, under their
// ABI names) and pc (32); org.gnu.gdb.riscv.fpu has f0..f31 (33..64, 64
// bits, singles NaN-boxed) and fflags, frm, fcsr (66, 67, 68: the numbers
// gdb gives the CSRs, 65 + the CSR number). The g packet carries x0..x31
// and pc only; gdb reads the rest with p.

export const REG_PC = 32;
/** Registers in the g packet. */
export const REG_COUNT = 33;
export const REG_F0 = 33;
export const REG_FFLAGS = 66;
export const REG_FRM = 67;
export const REG_FCSR = 68;

export const FP_ABI_NAMES = [
  "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
  "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
] as const;

/** Bytes of register n in p/P packets, or 0 if the target has no such register. */
export function registerBytes(n: number): number {
  if (n >= 0 && n < REG_F0 + 32) return 8;
  if (n === REG_FFLAGS || n === REG_FRM || n === REG_FCSR) return 4;
  return 0;
}

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
    `  <feature name="org.gnu.gdb.riscv.fpu">`,
    `    <union id="riscv_double">`,
    `      <field name="float" type="ieee_single"/>`,
    `      <field name="double" type="ieee_double"/>`,
    `    </union>`,
    ...FP_ABI_NAMES.map((name, i) => `    <reg name="${name}" bitsize="64" type="riscv_double" regnum="${REG_F0 + i}" group="float"/>`),
    `    <reg name="fflags" bitsize="32" type="int" regnum="${REG_FFLAGS}" group="float"/>`,
    `    <reg name="frm" bitsize="32" type="int" regnum="${REG_FRM}" group="float"/>`,
    `    <reg name="fcsr" bitsize="32" type="int" regnum="${REG_FCSR}" group="float"/>`,
    `  </feature>`,
    `</target>`,
    ``,
  ].join("\n");
}
