// Test entry for the NIC driver (dev/nic.ts): its interface as the native
// calls use it, with a frame buffer this entry allocates at init. The test
// (kernel-as/tests/nic.test.ts) plugs the real device (host/devices/nic.ts)
// into the port table.

export { kernelImageEnd } from "../src/lib/image";
import { framesInit, frameAlloc, framesFreeTotal, KIND_KERNEL } from "../src/mm/frames";
import { slabInit } from "../src/mm/slab";
import { nicInit, nicSend, nicPeek, nicPop, nicInterrupt, nicCounter, nicReady, nicLinkUp, nicMacLo, nicMacHi } from "../src/dev/nic";

export { nicInit, nicSend, nicPeek, nicPop, nicInterrupt, nicCounter, nicReady, nicLinkUp, nicMacLo, nicMacHi, framesFreeTotal };

let buf: usize = 0;

/** Brings up frames and slab and allocates a 4 KiB frame buffer. */
export function init(): i32 {
  let r = framesInit();
  if (r != 0) return r;
  r = slabInit();
  if (r != 0) return r;
  buf = frameAlloc(0, KIND_KERNEL);
  return buf != 0 ? 0 : -1;
}
/** Where the test puts frames to send and finds frames received. */
export function bufAddr(): usize { return buf; }
