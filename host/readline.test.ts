// Line editing in the shell (docs/userland.md "Line editing"), driven through
// the real kernel and shell with the bytes a terminal sends: arrows, Ctrl
// keys, Tab; the console's raw mode (ttymode, call 122) and its deferred
// echo, so type-ahead and pasted lines keep the transcript in order; UTF-8
// from the keyboard to the UART. What a terminal shows is checked by feeding
// the UART's bytes to the editor test's terminal model: once displayd runs,
// the shell's output no longer reaches the VGA screen (docs/services.md).
// The editor's own model test is in user/ulib.test.ts.

import { describe, expect, it } from "vitest";
import { MachineHarness, userlandModules } from "./testing/machine-harness.js";
import { shippedDisk } from "./testing/disk.js";
import { readPath } from "./fs/format.js";
import type { MemoryBackend } from "./disk/memory.js";
import { Terminal } from "../user/test/rledit-model.js";

function bootShell(disk?: MemoryBackend): MachineHarness {
  const h = new MachineHarness(disk ? { ramBytes: 64 * 1024 * 1024, disk } : { ramBytes: 64 * 1024 * 1024, modules: userlandModules() }).boot();
  h.runUntil("\n$ ");
  return h;
}

const LEFT = "\x1b[D";
const UP = "\x1b[A";
const DOWN = "\x1b[B";

/** The lines a program printed in reply to a command (the echo of the
 *  command line and the next prompt left out). */
function replyLines(out: string): string[] {
  return out.split("\n").slice(1, -1);
}

/** What an 80-column terminal shows after the UART's output, trailing
 *  blanks and blank rows dropped. */
function screen(h: MachineHarness): string[] {
  const term = new Terminal(80);
  term.write(new TextEncoder().encode(h.output));
  const rows = term.rows.map((r) => r.join("").replace(/\s+$/, ""));
  while (rows.length > 0 && rows[rows.length - 1] === "") rows.pop();
  return rows;
}

describe("editing the line", () => {
  it("echo ac, Left, b runs echo abc (the issue's case)", () => {
    const h = bootShell();
    expect(replyLines(h.shell(`echo ac${LEFT}b`))).toEqual(["abc"]);
    // The screen shows the edited line, not the keys.
    expect(screen(h).slice(-3)).toEqual(["$ echo abc", "abc", "$"]);
  });

  it("moves with Home/End, Ctrl-A/E/B/F and deletes anywhere with Backspace and Delete", () => {
    const h = bootShell();
    expect(replyLines(h.shell("xecho hi\x01\x1b[3~"))).toEqual(["hi"]);
    expect(replyLines(h.shell("cho hi\x1b[He\x1b[Fx"))).toEqual(["hix"]);
    expect(replyLines(h.shell("echo ab\x02\x02X\x06\x06!"))).toEqual(["Xab!"]);
    expect(replyLines(h.shell("echo abc\x02\x7f\x7f"))).toEqual(["c"]);
    expect(replyLines(h.shell("echo one\x1b[1~\x1b[4~ two"))).toEqual(["one two"]);
  });

  it("Ctrl-W removes the word before the cursor, Ctrl-U the line before it, Ctrl-K the rest, Ctrl-Y puts it back", () => {
    const h = bootShell();
    expect(replyLines(h.shell("echo one two\x17three"))).toEqual(["one three"]);
    expect(replyLines(h.shell("junk junk\x15echo clean"))).toEqual(["clean"]);
    expect(replyLines(h.shell(`echo keep drop${LEFT.repeat(5)}\x0b`))).toEqual(["keep"]);
    expect(replyLines(h.shell("echo a b\x17\x17\x19\x19"))).toEqual(["a a"]);
  });

  it("Ctrl-L clears the screen and draws the line being typed at the top", () => {
    const h = bootShell();
    h.shell("echo before");
    h.machine.input("echo after\x0c");
    h.settle();
    expect(screen(h)).toEqual(["$ echo after"]);
    expect(replyLines(h.shell(""))).toEqual(["after"]);
  });

  it("Ctrl-C drops the line and gives a new prompt; Ctrl-Z and Ctrl-\\ at the prompt leave the shell alone", () => {
    const h = bootShell();
    const mark = h.output.length;
    h.machine.input("echo never");
    h.settle();
    h.machine.input("\x03");
    h.settle();
    expect(h.since(mark)).toBe("echo never^C\n$ ");
    h.machine.input("\x1a\x1c");
    h.settle();
    expect(replyLines(h.shell("echo alive"))).toEqual(["alive"]);
  });

  it("a line that reaches 40 columns asks the terminal's width once; the answer redraws at that width", () => {
    const h = bootShell();
    const long = "echo " + "x".repeat(40);
    const mark = h.output.length;
    h.machine.input(long);
    h.settle();
    expect(h.since(mark)).toContain("\x1b7\x1b[999C\x1b[6n\x1b8");
    // The terminal answers: row 25, column 30.
    h.machine.input("\x1b[25;30R");
    h.settle();
    const redrawn = h.shell("");
    expect(replyLines(redrawn)).toEqual(["x".repeat(40)]);
    const again = h.shell(long);
    expect(again.match(/\[6n/g)).toBeNull();
    // Typed at 30 columns: the editor ends the row at column 30 itself.
    expect(again).toBe(`echo ${"x".repeat(23)}\n${"x".repeat(17)}\n${"x".repeat(40)}\n$ `);
  });
});

describe("history", () => {
  it("Up and Down recall earlier lines; editing a recalled line runs the edit", () => {
    const h = bootShell();
    h.shell("echo first");
    h.shell("echo second");
    expect(replyLines(h.shell(UP))).toEqual(["second"]);
    expect(replyLines(h.shell(UP + UP + UP))).toEqual(["first"]);
    expect(replyLines(h.shell(UP + UP + DOWN))).toEqual(["first"]);
    expect(replyLines(h.shell(`${UP}\x17edited`))).toEqual(["edited"]);
    // A line being typed comes back after Up and Down.
    expect(replyLines(h.shell(`echo new${UP}${DOWN}`))).toEqual(["new"]);
    expect(h.shell("history")).toMatch(/1 {2}echo first\n.*2 {2}echo second/s);
  });

  it("is kept in /.sh_history on the disk, bounded, and a new shell reads it", () => {
    const disk = shippedDisk();
    const h = bootShell(disk);
    h.shell("echo kept");
    h.shell("exit");
    h.runUntil("init: starting sh");
    h.settle();
    expect(replyLines(h.shell(UP + UP))).toEqual(["kept"]);
    h.settle();
    const file = readPath(disk.image(), ".sh_history");
    expect(file && new TextDecoder().decode(file)).toMatch(/^echo kept\nexit\necho kept\n$/);
    // At most 100 lines are kept.
    for (let i = 0; i < 105; i++) h.shell(`echo ${i}`);
    const lines = new TextDecoder().decode(readPath(disk.image(), ".sh_history")!).trim().split("\n");
    expect(lines.length).toBe(100);
    expect(lines[99]).toBe("echo 104");
  });
});

describe("Tab completion", () => {
  it("completes a command name, then a path; a second Tab lists what is ambiguous", () => {
    const h = bootShell();
    expect(replyLines(h.shell("ech\tcompleted"))).toEqual(["completed"]);
    expect(h.shell("cat REA\t")).toContain("Keel");
    const mark = h.output.length;
    h.machine.input("sl\t");
    h.settle();
    expect(h.since(mark)).toBe("sleep ");
    h.machine.input("\x15s\t\t");
    h.settle();
    const listed = h.since(mark);
    for (const name of ["sh", "sleep", "spin", "sigtest"]) expect(listed).toMatch(new RegExp(`\\b${name}\\b`));
    expect(listed.endsWith("$ s")).toBe(true);
    expect(listed).not.toMatch(/\bcat\b/);
    h.shell("\x15");
  });

  it("lists a directory's entries and adds / to a directory", () => {
    const disk = shippedDisk();
    const h = bootShell(disk);
    h.shell("mkdir tabdir; echo x > tabdir/only");
    const mark = h.output.length;
    h.machine.input("cat tabd\t");
    h.settle();
    expect(h.since(mark)).toBe("cat tabdir/");
    h.machine.input("\t");
    h.settle();
    expect(h.since(mark)).toBe("cat tabdir/only ");
    expect(replyLines(h.shell(""))).toEqual(["x"]);
  });
});

describe("UTF-8", () => {
  it("echo café prints café on the UART and a terminal shows it", () => {
    const h = bootShell();
    expect(replyLines(h.shell("echo café"))).toEqual(["café"]);
    expect(screen(h).slice(-2)).toEqual(["café", "$"]);
  });

  it("the cursor moves by characters and Backspace removes a whole one", () => {
    const h = bootShell();
    expect(replyLines(h.shell(`echo naïve${LEFT}${LEFT}\x7fi`))).toEqual(["naive"]);
    expect(replyLines(h.shell("echo 日本\x7f語"))).toEqual(["日語"]);
  });

  it("characters outside Latin-1 and wide ones reach the terminal whole", () => {
    const h = bootShell();
    expect(replyLines(h.shell("echo ½ ß € 日"))).toEqual(["½ ß € 日"]);
    expect(screen(h).slice(-2)).toEqual(["½ ß € 日", "$"]);
  });

  it("files keep the bytes", () => {
    const disk = shippedDisk();
    const h = bootShell(disk);
    h.shell("echo grüße > u8");
    expect(replyLines(h.shell("cat u8"))).toEqual(["grüße"]);
    expect(replyLines(h.shell("wc u8"))[0]).toMatch(/1\s+1\s+8 u8/);
  });

  it("a cooked read edits UTF-8 too: Backspace takes the whole character", () => {
    const h = bootShell();
    const mark = h.output.length;
    h.machine.input("cat\r");
    h.settle();
    h.machine.input("naé\x7f\x7fo\r\x04");
    h.settle();
    expect(h.since(mark)).toBe("cat\nnaé\b \b\b \bo\nno\n$ ");
  });
});

describe("type-ahead and pasted lines", () => {
  it("what is typed while a program runs appears after the next prompt, in order (the issue's case)", () => {
    const h = bootShell();
    const mark = h.output.length;
    h.machine.input("sleep 5\r");
    for (let i = 0; i < 3; i++) h.machine.runFor(1);
    h.machine.input("echo typed-ahead\r");
    h.runUntil("typed-ahead\n$ ", mark);
    expect(h.since(mark)).toBe("sleep 5\n$ echo typed-ahead\ntyped-ahead\n$ ");
  });

  it("pasted lines run one after another, each output after its command", () => {
    const h = bootShell();
    const mark = h.output.length;
    h.machine.input("echo one\recho two\recho three\r");
    h.runUntil("three\n$ ", mark);
    expect(h.since(mark)).toBe("echo one\none\n$ echo two\ntwo\n$ echo three\nthree\n$ ");
  });

  it("pasted lines after a program that reads go to that program, echoed as it reads them", () => {
    const h = bootShell();
    const mark = h.output.length;
    h.machine.input("cat\rhello\rworld\r\x04echo done\r");
    h.runUntil("done\n$ ", mark);
    expect(h.since(mark)).toBe("cat\nhello\nhello\nworld\nworld\n$ echo done\ndone\n$ ");
  });

  it("Ctrl-C while a program runs drops what was typed ahead", () => {
    const h = bootShell();
    const mark = h.output.length;
    h.machine.input("spin 1 1000\r");
    for (let i = 0; i < 20; i++) h.machine.runFor(20);
    h.machine.input("echo lost\r\x03");
    h.runUntil(/\^C\n\$ $/, mark);
    h.settle();
    expect(h.since(mark)).not.toContain("lost");
    expect(replyLines(h.shell("echo next"))).toEqual(["next"]);
  });
});

describe("without a terminal", () => {
  it("sh reading a pipe or a file runs its lines with no prompt and no editing", () => {
    const disk = shippedDisk();
    const h = bootShell(disk);
    h.shell("echo 'echo from-script' > s.sh");
    expect(replyLines(h.shell("sh s.sh"))).toEqual(["from-script"]);
    expect(replyLines(h.shell("cat s.sh | sh"))).toEqual(["from-script"]);
  });
});

describe("a full type-ahead ring", () => {
  it("keeps what does not fit waiting in order, and a Ctrl-C behind it still stops the program", () => {
    const h = bootShell();
    const mark = h.output.length;
    h.machine.input("spin 1 1000\r");
    for (let i = 0; i < 20; i++) h.machine.runFor(20);
    h.machine.input("x".repeat(2900));
    for (let i = 0; i < 5; i++) h.machine.runFor(20);
    h.machine.input("\x03");
    h.runUntil(/\^C\n\$ $/, mark);
    h.settle();
    expect(h.since(mark)).not.toContain("xxx");
    expect(replyLines(h.shell("echo next"))).toEqual(["next"]);
  });

  it("a long paste reaches a reading program whole, past the ring's 2 KiB", () => {
    const h = bootShell();
    const mark = h.output.length;
    const lines = Array.from({ length: 120 }, (_, i) => `line ${String(i).padStart(3, "0")} ${"p".repeat(30)}`);
    h.machine.input("wc\r" + lines.join("\r") + "\r\x04");
    h.runUntil(/\n\s+120\s+360\s+\d+\n\$ $/, mark, 20000);
  });
});
