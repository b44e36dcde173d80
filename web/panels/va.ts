// The page-table walker's input field: what a user may type as a virtual
// address, checked before it goes to the kernel. The field is hexadecimal
// ("0x" optional, "_" and spaces allowed as separators). Values travel to
// the kernel as text (InspectQuery "walk"), so addresses above 2^53 (the
// canonical upper half) are kept exact; the kernel decides what is mapped.

/** Sv48 virtual addresses are 64-bit values; more hex digits cannot be one. */
const MAX_HEX_DIGITS = 16;

export type ParsedAddress =
  | { ok: true; /** "0x" and lower-case digits, no leading zeros. */ text: string; value: bigint }
  | { ok: false; reason: string };

export function parseVirtualAddress(input: string): ParsedAddress {
  let digits = input.trim().replace(/[_\s]/g, "");
  if (/^0x/i.test(digits)) digits = digits.slice(2);
  if (digits === "") return { ok: false, reason: "enter an address in hexadecimal, e.g. 0x10000" };
  if (!/^[0-9a-f]+$/i.test(digits)) {
    const bad = digits.match(/[^0-9a-f]/i)?.[0] ?? "?";
    return { ok: false, reason: `"${bad}" is not a hexadecimal digit` };
  }
  digits = digits.replace(/^0+(?=.)/, "").toLowerCase();
  if (digits.length > MAX_HEX_DIGITS) return { ok: false, reason: "more than 64 bits" };
  return { ok: true, text: `0x${digits}`, value: BigInt(`0x${digits}`) };
}

/** `n` in hex with "0x", at least `pad` digits. */
export function hex(n: number, pad = 1): string {
  return `0x${Math.max(0, Math.floor(n)).toString(16).padStart(pad, "0")}`;
}

/** The frame size the kernel uses (4 KiB pages). */
export const FRAME_BYTES = 4096;

/** How the memory panel names a frame: "frame 0x1234 (0x01234000)". */
export function describeFrameNumber(frame: number): string {
  return `frame ${hex(frame)} (${hex(frame * FRAME_BYTES, 8)})`;
}
