import { describe, it, expect } from "vitest";
import { DeviceStateError } from "../device.js";
import { CB_IRQ_PENDING, CONTROL_BLOCK, INTC_ACK, INTC_MASK, INTC_PENDING, INTC_RAW, INTC_ROUTE } from "../hw.js";
import { InterruptController, INTC_MIRROR_ADDR } from "./intc.js";

function makeIntc(ramBytes = 0x10000) {
  let ram = new ArrayBuffer(ramBytes);
  const changes: number[] = [];
  const intc = new InterruptController({ memory: () => ram, onChange: (p) => changes.push(p) });
  const mirror = () => new DataView(ram).getUint32(CONTROL_BLOCK + CB_IRQ_PENDING, true);
  const replaceRam = (next: ArrayBuffer) => { ram = next; };
  const inl = (port: number) => intc.read(port, 4);
  const outl = (port: number, v: number) => intc.write(port, 4, v);
  return { intc, mirror, replaceRam, changes, inl, outl };
}

describe("interrupt controller lines", () => {
  it("starts with nothing raised and every line unmasked", () => {
    const { inl, intc } = makeIntc();
    expect([inl(INTC_PENDING), inl(INTC_MASK), inl(INTC_RAW)]).toEqual([0, 0, 0]);
    expect(intc.pending()).toBe(0);
  });

  it("follows a level line up and down without needing an ACK", () => {
    const { intc, inl, outl } = makeIntc();
    intc.line(4).set(true);
    expect(inl(INTC_PENDING)).toBe(1 << 4);
    outl(INTC_ACK, 1 << 4); // ACK does not lower a level its device still holds
    expect(inl(INTC_PENDING)).toBe(1 << 4);
    intc.line(4).set(false);
    expect(inl(INTC_PENDING)).toBe(0);
  });

  it("latches a pulse until ACK clears it", () => {
    const { intc, inl, outl } = makeIntc();
    intc.line(5).pulse();
    intc.line(5).pulse();
    expect(inl(INTC_PENDING)).toBe(1 << 5);
    outl(INTC_ACK, 1 << 3); // acknowledging another line changes nothing
    expect(inl(INTC_PENDING)).toBe(1 << 5);
    outl(INTC_ACK, 1 << 5);
    expect(inl(INTC_PENDING)).toBe(0);
  });

  it("hides masked lines from PENDING but not from RAW, and shows them again when unmasked", () => {
    const { intc, inl, outl } = makeIntc();
    outl(INTC_MASK, 1 << 0);
    intc.line(0).set(true);
    intc.line(31).pulse();
    expect(inl(INTC_PENDING)).toBe(0x8000_0000);
    expect(inl(INTC_RAW)).toBe(0x8000_0001);
    expect(inl(INTC_MASK)).toBe(1);
    outl(INTC_MASK, 0);
    expect(intc.pending()).toBe(0x8000_0001);
  });

  it("rejects a line number outside 0..31", () => {
    const { intc } = makeIntc();
    expect(() => intc.line(32)).toThrow(RangeError);
    expect(() => intc.line(-1)).toThrow(RangeError);
  });
});

describe("interrupt controller RAM mirror", () => {
  it("mirrors PENDING little-endian at CONTROL_BLOCK + CB_IRQ_PENDING on every change", () => {
    const { intc, mirror, outl } = makeIntc();
    expect(INTC_MIRROR_ADDR).toBe(CONTROL_BLOCK + CB_IRQ_PENDING);
    intc.line(31).set(true);
    intc.line(1).pulse();
    expect(mirror()).toBe(0x8000_0002);
    outl(INTC_MASK, 0x8000_0000);
    expect(mirror()).toBe(2);
    outl(INTC_ACK, 2);
    expect(mirror()).toBe(0);
  });

  it("writes the mirror into replacement RAM", () => {
    const { intc, mirror, replaceRam } = makeIntc();
    intc.line(3).set(true);
    replaceRam(new ArrayBuffer(0x10000));
    expect(mirror()).toBe(0); // fresh RAM: not yet written
    intc.syncMirror();
    expect(mirror()).toBe(1 << 3);
    replaceRam(new ArrayBuffer(0x10000));
    intc.line(4).set(true); // any change also notices the new RAM
    expect(mirror()).toBe((1 << 3) | (1 << 4));
  });

  it("tolerates RAM too small to hold the control block", () => {
    const { intc } = makeIntc(16);
    intc.line(2).set(true);
    expect(intc.pending()).toBe(4);
  });

  it("reports each change of PENDING once to onChange", () => {
    const { intc, changes } = makeIntc();
    intc.line(2).set(true);
    intc.line(2).set(true);
    intc.line(2).set(false);
    expect(changes).toEqual([4, 0]);
  });
});

describe("interrupt controller routing", () => {
  it("stores line -> vCPU from ROUTE writes and filters pendingFor by it", () => {
    const { intc, inl, outl } = makeIntc();
    outl(INTC_ROUTE, (5 << 8) | 2);
    expect(intc.routeOf(5)).toBe(2);
    expect(intc.routeOf(4)).toBe(0);
    expect(inl(INTC_ROUTE)).toBe(0); // write-only
    intc.line(5).pulse();
    intc.line(4).set(true);
    expect(intc.pendingFor(2)).toBe(1 << 5);
    expect(intc.pendingFor(0)).toBe(1 << 4);
    expect(intc.route(40, 1)).toBe(false);
  });
});

describe("interrupt controller reset and snapshots", () => {
  it("reset clears levels, latches, mask and routes, and the mirror", () => {
    const { intc, mirror, outl, inl } = makeIntc();
    intc.line(0).set(true);
    intc.line(9).pulse();
    outl(INTC_MASK, 0xff00);
    outl(INTC_ROUTE, (9 << 8) | 1);
    intc.reset();
    expect([inl(INTC_PENDING), inl(INTC_MASK), inl(INTC_RAW), intc.routeOf(9), mirror()]).toEqual([0, 0, 0, 0, 0]);
  });

  it("save/restore round-trips raised lines, mask and routes, and rewrites the mirror", () => {
    const a = makeIntc();
    a.intc.line(4).set(true);
    a.intc.line(5).pulse();
    a.outl(INTC_MASK, 1 << 6);
    a.outl(INTC_ROUTE, (5 << 8) | 3);
    const state = JSON.parse(JSON.stringify(a.intc.save()));

    const b = makeIntc();
    b.intc.restore(state);
    expect(b.inl(INTC_RAW)).toBe(a.inl(INTC_RAW));
    expect(b.inl(INTC_MASK)).toBe(1 << 6);
    expect(b.intc.routeOf(5)).toBe(3);
    expect(b.mirror()).toBe((1 << 4) | (1 << 5));
    expect(() => b.intc.restore({ ...state, routes: [1, 2] })).toThrow(DeviceStateError);
    expect(() => b.intc.restore({ ...state, mask: "x" })).toThrow(DeviceStateError);
  });
});
