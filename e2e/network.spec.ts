// The machine on the page's network (docs/network.md "In the page"): the
// Network panel shows the card and netd's loopback interface, netd's address and sockets, and a ping's
// echo request and reply in the packet log, captured at the card and
// decoded; the filter box and pause act on the log.
import { expect, test, type Page } from "@playwright/test";
import { openShell, runShell, typeLine, waitForShellPrompt } from "./keel";

const POLL = { intervals: [100, 250, 500] };
const PANEL_TIMEOUT = 20_000;

async function net(page: Page) {
  return (await page.evaluate(() => window.keel.panels())).net;
}

test.describe("the Network panel", () => {
  test.setTimeout(120_000);

  test("shows the card, a ping's ICMP echo request and reply, a listening socket, and filters the log", async ({ page }) => {
    await openShell(page, "?disk=memory");
    await waitForShellPrompt(page);
    await page.locator("#tab-net").click();
    await expect.poll(async () => (await net(page)).nic, { ...POLL, timeout: PANEL_TIMEOUT }).toEqual({ mac: "02:00:00:00:00:02", link: true });
    await expect.poll(async () => (await net(page)).address, { ...POLL, timeout: PANEL_TIMEOUT }).toBe("10.0.0.2/24");
    await expect(page.locator("#net-if-body")).toContainText("02:00:00:00:00:02");
    await expect(page.locator("#net-if-body tr")).toHaveCount(2); // nic0 and netd's loopback
    await expect(page.locator("#net-if-body tr").nth(1)).toContainText("127.0.0.1/8");
    // Two pings of 127.0.0.1: two requests and two replies through lo (84 bytes each), none captured at the card.
    expect((await runShell(page, "ping -c 2 127.0.0.1", 30_000)).join("\n")).toContain("2 received");
    await expect(page.locator("#net-if-body tr").nth(1)).toContainText("4 (336 B)", { timeout: PANEL_TIMEOUT });
    expect((await net(page)).packets.some((l) => l.includes("127.0.0.1"))).toBe(false);

    const out = (await runShell(page, "ping -c 2 10.0.0.1", 30_000)).join("\n");
    expect(out).toContain("2 received");
    await expect.poll(async () => (await net(page)).packets.filter((l) => /ICMP 10\.0\.0\.1 → 10\.0\.0\.2 echo reply id=\d+ seq=\d+ len=64/.test(l)).length,
      { ...POLL, timeout: PANEL_TIMEOUT }).toBe(2);
    const lines = (await net(page)).packets;
    expect(lines.filter((l) => /out\s+\d+ B\s+ICMP 10\.0\.0\.2 → 10\.0\.0\.1 echo request id=\d+ seq=\d+ len=64 ttl=64/.test(l))).toHaveLength(2);
    expect(lines.some((l) => l.includes("ARP who has 10.0.0.1? tell 10.0.0.2"))).toBe(true);
    expect(lines.some((l) => l.includes("ARP 10.0.0.1 is at 02:00:00:00:00:01"))).toBe(true);
    await expect(page.locator("#net-log li", { hasText: "echo reply" }).first()).toBeVisible();

    // The filter keeps the rows holding every word.
    await page.locator("#net-filter").fill("echo reply");
    await expect.poll(async () => (await net(page)).packets.length, POLL).toBe(2);
    expect((await net(page)).packets.every((l) => l.includes("echo reply"))).toBe(true);
    await page.locator("#net-filter").fill("");

    // Paused, a new ping adds no rows; unpaused, the capture's frames come in.
    await page.locator("#net-pause").check();
    const before = (await net(page)).packets.length;
    await runShell(page, "ping -c 1 10.0.0.1", 30_000);
    await page.waitForTimeout(1500); // three polls, each of which would have added rows
    expect((await net(page)).packets.length).toBe(before);
    await page.locator("#net-pause").uncheck();
    await expect.poll(async () => (await net(page)).packets.length, { ...POLL, timeout: PANEL_TIMEOUT }).toBeGreaterThanOrEqual(before + 2);

    // A listener shows among netd's sockets as netstat shows it.
    await typeLine(page, "nc -l 7000 &");
    await expect.poll(async () => (await net(page)).sockets, { ...POLL, timeout: PANEL_TIMEOUT }).toContain("tcp 10.0.0.2:7000 *:* LISTEN");
    await expect(page.locator("#net-sock-body")).toContainText("LISTEN");
  });
});
