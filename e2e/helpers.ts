import { expect, type Page } from "@playwright/test";

export type DemoUser = "Dana" | "Alex" | "Sam" | "Priya" | "Lee";

/** Signs in through the demo sign-in page, as a person would. */
export async function signInAs(page: Page, name: DemoUser, callbackUrl = "/") {
  await page.goto(`/signin?callbackUrl=${encodeURIComponent(callbackUrl)}`);
  await page.getByRole("button", { name: new RegExp(`^${name} — `) }).click();
  await expect(page.getByTestId("user-menu")).toContainText(name);
}

export async function signOut(page: Page) {
  await page.getByTestId("user-menu").locator("summary").click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/signin/);
}
