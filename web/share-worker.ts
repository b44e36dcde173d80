// The worker's side of shareable links (docs/share-links.md): each machine
// the worker builds records the input it is given (host/replay.ts), so the
// page's Share button can ask for it, and the first machine may play an
// exact-replay link's input back. While a replay runs, typing is ignored:
// input at any other moment would change what the replay shows.

import type { Machine, MachineState } from "../host/machine";
import { Recorder, Replayer, type ReplayEvent } from "../host/replay";
import type { SessionRecording, WorkerToPage } from "./protocol";

/** What the worker knows about how the current machine's disk came to be. */
export interface ShareNotes {
  inexact: string | null;
  shippedDisk: boolean;
}

export class SessionShare {
  private readonly recorder: Recorder;
  private replayer: Replayer | null = null;

  constructor(
    private readonly machine: Machine,
    private readonly post: (message: WorkerToPage) => void,
    /** Before a recorded Reboot is played back: the page marks it in the
     *  console, as it did when the button was pressed. */
    private readonly beforeReplayedReboot: () => void = () => undefined,
  ) {
    this.recorder = new Recorder(machine);
  }

  /** Plays `events` into the machine; call before it boots. */
  startReplay(events: ReplayEvent[]): void {
    const replayer = new Replayer(events, {
      // What the replay gives is recorded too, so a replayed session can be shared again.
      input: (machine, bytes) => {
        this.recorder.input(bytes);
        machine.input(bytes);
      },
      reboot: (machine) => {
        this.beforeReplayedReboot();
        this.recorder.reboot();
        machine.reboot();
      },
      progress: (progress) => {
        this.post({ type: "replay", progress });
        if (progress.finished) this.replayer = null;
      },
    });
    this.replayer = replayer;
    this.machine.setInputSchedule(replayer);
    this.post({ type: "replay", progress: replayer.progress });
  }

  get replaying(): boolean {
    return this.replayer !== null;
  }

  /** Keyboard input: recorded and given to the machine; ignored during a replay. */
  input(bytes: Uint8Array): void {
    if (this.replaying) return;
    this.recorder.input(bytes);
    this.machine.input(bytes);
  }

  /** The page's Reboot: recorded (a replay stops first). */
  reboot(): void {
    this.stopReplay("stopped by the reboot");
    this.recorder.reboot();
    this.machine.reboot();
  }

  /** After each run-loop tick. A halted or panicked machine makes no more
   *  run() calls, so what the recording holds for it is given now; true
   *  when that rebooted the machine, which then wants running. */
  afterTick(state: MachineState): boolean {
    if (this.replayer === null) return false;
    if (state === "idle" && this.replayer.stalled(this.machine)) {
      // Typing would otherwise stay blocked for a replay that cannot go on.
      this.stopReplay("stopped: the machine waits for input where the recording has none (it diverged)");
      return false;
    }
    if (state !== "halted" && state !== "panicked") return false;
    return this.replayer.pumpStopped(this.machine);
  }

  stopReplay(reason: string): void {
    if (this.replayer === null) return;
    const progress = this.replayer.progress;
    this.replayer = null;
    this.machine.setInputSchedule(null);
    this.post({ type: "replay", progress, stopped: reason });
  }

  recording(notes: ShareNotes): SessionRecording {
    return { events: this.recorder.take(), inexact: notes.inexact, shippedDisk: notes.shippedDisk };
  }
}
