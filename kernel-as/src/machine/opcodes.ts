// Major opcodes of the 32-bit RISC-V encodings (instruction bits 6..0), as
// the unprivileged specification's opcode map names them. Shared by the
// decoder and the compressed-instruction expander.

export const OPC_LOAD: u32 = 0x03;
export const OPC_MISC_MEM: u32 = 0x0F;
export const OPC_OP_IMM: u32 = 0x13;
export const OPC_AUIPC: u32 = 0x17;
export const OPC_OP_IMM_32: u32 = 0x1B;
export const OPC_STORE: u32 = 0x23;
export const OPC_AMO: u32 = 0x2F;
export const OPC_OP: u32 = 0x33;
export const OPC_LUI: u32 = 0x37;
export const OPC_OP_32: u32 = 0x3B;
export const OPC_BRANCH: u32 = 0x63;
export const OPC_JALR: u32 = 0x67;
export const OPC_JAL: u32 = 0x6F;
export const OPC_SYSTEM: u32 = 0x73;
// The F and D extensions.
export const OPC_LOAD_FP: u32 = 0x07;
export const OPC_STORE_FP: u32 = 0x27;
export const OPC_MADD: u32 = 0x43;
export const OPC_MSUB: u32 = 0x47;
export const OPC_NMSUB: u32 = 0x4B;
export const OPC_NMADD: u32 = 0x4F;
export const OPC_OP_FP: u32 = 0x53;
