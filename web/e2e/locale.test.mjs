// End-to-end: the cloud browser takes on the customer's languages and time zone (F14), and
// follows them when the customer continues the session on another device.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Harness, PHONE } from "./harness.mjs";

const h = new Harness();
const STORAGE_KEY = "beside.customer.demo";

describe("the customer's languages and time zone", { timeout: 180_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  test("websites see the customer's time zone and languages, and those of the device they continue on", { timeout: 150_000 }, async () => {
    const laptop = await h.newPage("customer's laptop", { locale: "de-DE", timezoneId: "Asia/Tokyo" });
    await h.startCustomer(laptop);
    const address = laptop.getByTestId("address");
    await address.fill(`${h.base}/demo/hours.html`);
    await address.press("Enter");
    const title = laptop.getByTestId("page-title");
    await h.until("the shop's opening hours are shown in Tokyo time, for a German reader", async () =>
      (await title.textContent()) === "Opening hours · Asia/Tokyo · de-DE, de");

    // The customer closes the laptop and continues on their phone, elsewhere.
    const session = await laptop.evaluate((key) => localStorage.getItem(key), STORAGE_KEY);
    assert.ok(session, "the laptop keeps the session");
    await laptop.context().close();
    const phone = await h.newPage("customer's phone", { ...PHONE, locale: "pt-BR", timezoneId: "America/Sao_Paulo" });
    await phone.goto(`${h.base}/c/demo`);
    await phone.evaluate(([key, value]) => localStorage.setItem(key, value), [STORAGE_KEY, session]);
    await phone.reload();
    const phoneTitle = phone.getByTestId("page-title");
    await h.until("the same page now shows São Paulo time, for a Brazilian reader", async () =>
      (await phoneTitle.textContent()) === "Opening hours · America/Sao_Paulo · pt-BR, pt");
  });
});
