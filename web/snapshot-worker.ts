// The worker's side of snapshots (host/snapshot.ts does the work): checks
// that a decoded snapshot fits this page before anything is stopped, and
// the small pieces web/worker.ts needs to swap its machine for a restored one
// (which it builds with host/snapshot.ts's restoreDetached, as the headless
// runner does, so both check the same things before a disk is replaced).

import type { Machine, MachineCallbacks } from "../host/machine";
import type { Snapshot } from "../host/snapshot";
import { checkImage, readSuperblock } from "./disk/image";
import type { BootConfig } from "./protocol";

/** Why this page cannot take the snapshot's disk, or null. `hasDisk`: the
 *  page runs on a disk it may replace. */
export function snapshotDiskProblem(snapshot: Snapshot, hasDisk: boolean): string | null {
  if (snapshot.disk === null) return null;
  if (!hasDisk) return "This snapshot has a disk, but this page runs without one (userland=0, or no storage for a disk); it was not restored.";
  const reason = checkImage(snapshot.disk.image);
  if (reason !== null) return `The snapshot's disk is not a Keel disk (${reason}); it was not restored.`;
  const size = readSuperblock(snapshot.disk.image)?.size;
  if (size !== snapshot.disk.blocks) {
    return `The snapshot's disk has ${snapshot.disk.blocks} blocks but its file system describes ${String(size)}; it was not restored.`;
  }
  return null;
}

/** The boot config a restored machine runs under: the page's, with the snapshot's machine settings. */
export function restoredBootConfig(page: BootConfig, snapshot: Snapshot): BootConfig {
  return { ...page, ramBytes: snapshot.config.ramBytes, clock: snapshot.config.clock, cmdline: snapshot.config.cmdline };
}

/**
 * Callbacks for a machine built before its session: what it reports before
 * attach() is dropped (the session sends fresh status and screen when it
 * starts), then everything goes to the session's own callbacks.
 */
export class CallbackRelay {
  private target: MachineCallbacks | null = null;
  readonly callbacks: MachineCallbacks = {
    uartOutput: (bytes) => this.target?.uartOutput(bytes),
    stateChanged: (state, detail) => this.target?.stateChanged?.(state, detail),
    hostLog: (level, text) => this.target?.hostLog?.(level, text),
  };

  /** Sends from now on to `callbacks`; returns `machine`, for Session's constructor. */
  attach(callbacks: MachineCallbacks, machine: Machine): Machine {
    this.target = callbacks;
    return machine;
  }
}
