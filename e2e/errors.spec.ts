// When the kernel cannot be loaded, the page says so instead of sitting blank.
import { expect, test } from "@playwright/test";
import { openKeel, status } from "./keel";

test("a kernel that cannot be fetched is reported in an error banner", async ({ page }) => {
  await page.route("**/*.wasm", (route) => route.fulfill({ status: 404, body: "not here" }));
  await openKeel(page);
  const banner = page.getByRole("alert").filter({ hasText: "Keel could not start" });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText("HTTP 404");
  await expect(page.locator("#status-state")).toHaveText("failed");
  await expect(page.getByRole("button", { name: "Reboot" })).toBeDisabled();
  expect((await status(page)).fatal).toContain("404");
});
