// The Debugger tab (web/panels/debug-panel.ts) in real Chromium, no gdb:
// attach to a wc waiting on its input, the registers drawn are the ones the
// worker reports, a breakpoint set by clicking a disassembly line is hit,
// stepi (F11) moves pc by the instruction's length, memory at sp is the
// stack's words, reverse step returns to the breakpoint with the same
// registers, the timeline scrubber goes forward and back, and after
// detaching wc finishes as usual. With the realtime
// clock the reverse buttons are off and say why.
import { expect, test, type Page } from "@playwright/test";
import { consoleText, openShell, typeLine, waitForShellPrompt } from "./keel";

const POLL = { intervals: [100, 250, 500] };
const TIMEOUT = 30_000;

async function debugView(page: Page) {
  return page.evaluate(() => window.keel.panels().debug.view);
}

/** Starts wc (it waits on the console) and attaches to it in the Debugger tab. */
async function attachToWc(page: Page, query: string): Promise<number> {
  await openShell(page, query);
  await waitForShellPrompt(page);
  await typeLine(page, "wc");
  let pid = 0;
  await expect.poll(async () => {
    const procs = (await page.evaluate(() => window.keel.panels().overview?.procs)) ?? [];
    pid = procs.find((p) => p.name === "wc" && p.state === "sleeping")?.pid ?? 0;
    return pid;
  }, { ...POLL, timeout: TIMEOUT, message: "wc waits for input" }).toBeGreaterThan(0);
  await page.locator("#tab-debug").click();
  await expect.poll(() => page.locator("#dbg-pick option").evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value)), { ...POLL, timeout: TIMEOUT })
    .toContain(String(pid));
  await page.locator("#dbg-pick").selectOption(String(pid));
  await page.locator("#dbg-attach").click();
  await expect.poll(async () => (await debugView(page))?.state, { ...POLL, timeout: TIMEOUT }).toBe("stopped");
  return pid;
}

async function shownRegisters(page: Page): Promise<string[]> {
  return page.locator("#dbg-regs tr td").allTextContents();
}

test.describe("the Debugger panel", () => {
  test.setTimeout(120_000);

  test("attach, break by clicking a line, step, memory at sp, reverse step, detach", async ({ page }) => {
    const pid = await attachToWc(page, "?disk=memory&clock=deterministic");
    let view = (await debugView(page))!;
    expect(view.pid).toBe(pid);
    expect(view.name).toBe("wc");
    expect(view.symbols).toContain("symbols of /wc");
    // The registers drawn are the worker's, with their ABI names.
    expect(await shownRegisters(page)).toEqual(view.regs.map((r) => `0x${r}`));
    await expect(page.locator("#dbg-regs tr").nth(2).locator("th")).toHaveText("x2 sp");
    // wc sleeps in read(): its disassembly, with symbols.
    await expect(page.locator("#dbg-disasm li.dbg-pc")).toContainText("<read+");

    // A breakpoint on read's `ret`, by clicking its line.
    const ret = page.locator("#dbg-disasm li", { hasText: "<read+" }).filter({ hasText: /c\.jr ra|\bret\b/ }).first();
    const retAddr = (await ret.getAttribute("data-addr"))!;
    await ret.click();
    await expect.poll(async () => (await debugView(page))?.breakpoints, { ...POLL, timeout: TIMEOUT }).toEqual([retAddr]);
    await expect(page.locator(`#dbg-disasm li[data-addr="${retAddr}"]`)).toHaveClass(/dbg-break/);

    // Give wc its input while it is stopped (the console takes it), then
    // continue: read returns into the breakpoint. (Input typed after an
    // instant reverse execution goes back to is undone with the rest of
    // that future, so it is all typed before.)
    await typeLine(page, "hello world");
    await page.keyboard.press("Control+D");
    await expect.poll(() => consoleText(page), { ...POLL, timeout: TIMEOUT }).toMatch(/\$ wc\nhello world/);
    expect((await debugView(page))?.state).toBe("stopped");
    await page.locator("#dbg-continue").click();
    await expect.poll(async () => (await debugView(page))?.reason, { ...POLL, timeout: TIMEOUT }).toBe("break");
    view = (await debugView(page))!;
    expect(view.regs[32]).toBe(retAddr);
    expect(await shownRegisters(page)).toEqual(view.regs.map((r) => `0x${r}`));
    const atBreak = view;

    // stepi by its shortcut (F11, on the button's label): the ret returns to ra.
    await expect(page.locator("#dbg-step")).toContainText("F11");
    await page.keyboard.press("F11");
    await expect.poll(async () => (await debugView(page))?.position, { ...POLL, timeout: TIMEOUT }).not.toBe(atBreak.position);
    view = (await debugView(page))!;
    expect(view.regs[32]).toBe(atBreak.regs[1]); // ret returns to ra
    // Now a straight-line instruction: pc + its length.
    const line = view.disasm.find((d) => d.addr === view.regs[32])!;
    const before = view;
    await page.locator("#dbg-step").click();
    await expect.poll(async () => (await debugView(page))?.position, { ...POLL, timeout: TIMEOUT }).not.toBe(before.position);
    view = (await debugView(page))!;
    if (!/^(c\.)?(j|jal|jalr|jr|beq|bne|blt|bge|bltu|bgeu|beqz|bnez|ret|ecall)\b/.test(line.text)) {
      expect(BigInt(`0x${view.regs[32]}`) - BigInt(`0x${before.regs[32]}`)).toBe(BigInt(line.bytes.length / 2));
    }
    const afterSteps = view;
    // Registers the step changed are highlighted: pc at least.
    expect((await page.evaluate(() => window.keel.panels().debug.changed))).toContain(32);
    await expect(page.locator("#dbg-regs tr.dbg-changed").first()).toBeVisible();

    // Memory at sp: the stack's first word, in hex and ASCII.
    await page.locator("#dbg-mem-addr").fill(view.regs[2]!);
    await page.locator("#dbg-mem-read").click();
    await expect.poll(async () => (await page.evaluate(() => window.keel.panels().debug.memory)).length, { ...POLL, timeout: TIMEOUT }).toBe(8);
    const memory = await page.evaluate(() => window.keel.panels().debug.memory);
    expect(memory[0]!.startsWith(view.regs[2]!)).toBe(true);
    const firstWord = memory[0]!.split(/\s+/).slice(1, 9).reverse().join("");
    expect(firstWord).toBe(view.stack[0]!.value);
    await expect(page.locator("#dbg-memory")).toContainText(view.regs[2]!);

    // Reverse step, twice: back at the breakpoint with identical registers.
    await page.locator("#dbg-reverse-step").click();
    await expect.poll(async () => (await debugView(page))?.position, { ...POLL, timeout: TIMEOUT }).toBe(String(BigInt(view.position!) - 1n));
    await page.keyboard.press("Shift+F11");
    await expect.poll(async () => (await debugView(page))?.position, { ...POLL, timeout: TIMEOUT }).toBe(atBreak.position);
    view = (await debugView(page))!;
    expect(view.regs).toEqual(atBreak.regs);
    expect(await shownRegisters(page)).toEqual(atBreak.regs.map((r) => `0x${r}`));
    // The timeline knows the furthest point reached.
    expect(BigInt(view.furthest!)).toBeGreaterThan(BigInt(view.position!));

    // The timeline scrubber: forward to the furthest instruction reached (by
    // running: the same registers again, the machine being deterministic), and back.
    const scrubTo = async (position: string): Promise<void> => {
      await page.locator("#dbg-scrub").evaluate((el, value) => {
        const input = el as HTMLInputElement;
        input.value = value;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }, position);
      await expect.poll(async () => (await debugView(page))?.position, { ...POLL, timeout: TIMEOUT }).toBe(position);
    };
    await expect(page.locator("#dbg-scrub")).toHaveAttribute("max", afterSteps.position!);
    await scrubTo(afterSteps.position!);
    expect((await debugView(page))!.regs).toEqual(afterSteps.regs);
    await scrubTo(atBreak.position!);
    expect((await debugView(page))!.regs).toEqual(atBreak.regs);
    await expect(page.locator("#dbg-scrub-label")).toContainText(`instruction ${atBreak.position}`);

    // Detach (breakpoint and all): wc runs on and prints its counts.
    await page.locator("#dbg-detach").click();
    await expect.poll(async () => (await debugView(page))?.pid, { ...POLL, timeout: TIMEOUT }).toBeNull();
    await expect.poll(() => consoleText(page), { ...POLL, timeout: TIMEOUT }).toMatch(/\n\s+1\s+2\s+12\n/);
  });

  test("the Done-when walkthrough: wc at its exec, break at main, step, watch a variable, continue to the hit, reverse step", async ({ page }) => {
    await openShell(page, "?disk=memory&clock=deterministic");
    await waitForShellPrompt(page);
    await page.locator("#tab-debug").click();
    // Pick wc: the next process that runs it stops at its first instruction.
    await page.locator("#dbg-exec-name").fill("wc");
    await page.locator("#dbg-attach-exec").click();
    await expect(page.locator("#dbg-status")).toContainText(/waiting for the next process that runs wc/i);
    await typeLine(page, "echo hello world | wc");
    await expect.poll(async () => (await debugView(page))?.state, { ...POLL, timeout: TIMEOUT }).toBe("stopped");
    let view = (await debugView(page))!;
    expect(view.name).toBe("wc");
    expect(view.reason).toBe("attach");
    await expect(page.locator("#dbg-disasm li.dbg-pc")).toContainText("<_start>");

    // Break at main (by name), continue: stopped there.
    await page.locator("#dbg-break-addr").fill("main");
    await page.locator("#dbg-break-add").click();
    await expect.poll(async () => (await debugView(page))?.breakpoints.length, { ...POLL, timeout: TIMEOUT }).toBe(1);
    const main = (await debugView(page))!.breakpoints[0]!;
    await page.locator("#dbg-continue").click();
    await expect.poll(async () => (await debugView(page))?.reason, { ...POLL, timeout: TIMEOUT }).toBe("break");
    view = (await debugView(page))!;
    expect(view.regs[32]).toBe(main);
    await expect(page.locator("#dbg-disasm li.dbg-pc")).toContainText("<main>");

    // Step.
    await page.keyboard.press("F11");
    await expect.poll(async () => (await debugView(page))?.reason, { ...POLL, timeout: TIMEOUT }).toBe("step");
    expect((await debugView(page))!.regs[32]).not.toBe(main);

    // Watch a variable: total.bytes, the 8 bytes at total+16, for writes.
    await page.locator("#dbg-watch-addr").fill("total+16");
    await page.locator("#dbg-watch-kind").selectOption("write");
    await page.locator("#dbg-watch-add").click();
    await expect(page.locator("#dbg-watch-list li")).toHaveCount(1);
    await expect(page.locator("#dbg-watch-list li")).toContainText("total+16");
    await expect(page.locator("#dbg-watch-list li")).toContainText("8 bytes, writes");

    // Continue to the hit: the store that adds read's 12 bytes, the value before and after.
    await page.locator("#dbg-continue").click();
    await expect.poll(async () => (await debugView(page))?.hit?.watch.label, { ...POLL, timeout: TIMEOUT }).toBe("total+16");
    view = (await debugView(page))!;
    const hit = view.hit!;
    expect(hit.old).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(hit.new).toEqual([12, 0, 0, 0, 0, 0, 0, 0]); // "hello world\n"
    expect(hit.instruction).toMatch(/^(c\.)?s[dw]\b/);
    await expect(page.locator("#dbg-hit")).toContainText("Watchpoint total+16 (write) hit by `");
    await expect(page.locator("#dbg-hit")).toContainText("total+16: 0 (0x0000000000000000) → 12 (0x000000000000000c)");
    await expect(page.locator("#dbg-status")).toContainText("after a watchpoint hit");
    expect(BigInt(view.position!)).toBe(BigInt(hit.position) + 1n);

    // Reverse step: before the store, at its instruction; total.bytes is 0 again.
    await page.keyboard.press("Shift+F11");
    await expect.poll(async () => (await debugView(page))?.position, { ...POLL, timeout: TIMEOUT }).toBe(hit.position);
    view = (await debugView(page))!;
    expect(view.regs[32]).toBe(hit.pc);
    await expect(page.locator("#dbg-hit")).toBeHidden();
    await page.locator("#dbg-mem-addr").fill("total+16");
    await page.locator("#dbg-mem-read").click();
    await expect.poll(async () => (await page.evaluate(() => window.keel.panels().debug.memory))[0] ?? "", { ...POLL, timeout: TIMEOUT })
      .toMatch(/^[0-9a-f]{16} {2}00 00 00 00 00 00 00 00 /);

    // Reverse continue: back to the breakpoint at main.
    await page.keyboard.press("Shift+F5");
    await expect.poll(async () => (await debugView(page))?.regs[32], { ...POLL, timeout: TIMEOUT }).toBe(main);
    // Remove the watchpoint; detach: wc prints its counts.
    await page.locator("#dbg-watch-list li button").click();
    await expect(page.locator("#dbg-watch-list li")).toHaveCount(0);
    await page.locator("#dbg-detach").click();
    await expect.poll(async () => (await debugView(page))?.pid, { ...POLL, timeout: TIMEOUT }).toBeNull();
    await expect.poll(() => consoleText(page), { ...POLL, timeout: TIMEOUT }).toMatch(/\n\s+1\s+2\s+12\n/);
  });

  test("with the realtime clock the reverse buttons are off and say why", async ({ page }) => {
    await attachToWc(page, "?disk=memory");
    for (const id of ["#dbg-reverse-step", "#dbg-reverse-continue"]) {
      await expect(page.locator(id)).toBeDisabled();
      await expect(page.locator(id)).toHaveAttribute("title", /deterministic clock/);
    }
    await expect(page.locator("#dbg-step")).toBeEnabled();
    await page.locator("#dbg-detach").click();
    await expect.poll(async () => (await debugView(page))?.pid, { ...POLL, timeout: TIMEOUT }).toBeNull();
  });
});
