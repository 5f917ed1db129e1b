// End-to-end: the real beside binary, the real cloud browser, and two people in two
// browser contexts doing what people do: the customer starts and reads the PIN, the
// agent signs in and joins, both see and act on the same page, then the agent ends it.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  Harness, STEP_TIMEOUT_MS, clientPoint, colourDistance, nonBlank, picture, pixelsDiffer, samples, viewInfo,
} from "./harness.mjs";

const TYPED = "Grüße, ação, 你好";
const h = new Harness();

describe("a co-browsing session, end to end", { timeout: 240_000 }, () => {
  before(() => h.start());
  after(() => h.stop());

  test("customer and agent browse together, see each other's cursor, and the agent ends it", { timeout: 180_000 }, async () => {
    const customer = await h.newPage("customer");
    const agent = await h.newPage("agent");

    // The customer starts and reads the PIN; the agent signs in and types it as it was read.
    const pinText = await h.startCustomer(customer);
    await h.signIn(agent);
    const name = await h.join(agent, pinText);
    assert.ok(name, "the agent has a name");

    // Both see the page.
    await h.until("the customer's view shows the page", async () => nonBlank(await picture(customer)));
    await h.until("the agent's view shows the page", async () => nonBlank(await picture(agent)));
    await h.until("the customer sees the agent in the participants list", async () =>
      (await customer.getByTestId("participants").textContent())?.includes(name));

    // The cloud viewport follows the customer's view, and the agent's frames have it too.
    const size = await h.until("the cloud viewport matches the customer's view", async () => {
      const info = await viewInfo(customer);
      const ok = info.frame && Math.abs(info.frame.width - info.rect.width) <= 1 && Math.abs(info.frame.height - info.rect.height) <= 1;
      return ok ? info.frame : null;
    });
    await h.until("the agent's frames have the customer's viewport", async () => {
      const info = await viewInfo(agent);
      return info.frame && info.frame.width === size.width && info.frame.height === size.height;
    });
    const [swatch, search] = await h.layoutOf("/demo/index.html", size, ["#swatch", "#search"]);

    // The customer clicks the colour swatch; the agent's view changes colour there.
    const swatchCentre = { x: swatch.x + swatch.width / 2, y: swatch.y + swatch.height / 2 };
    const agentSwatch = await clientPoint(agent, swatchCentre.x, swatchCentre.y);
    const [before] = await samples(agent, [agentSwatch]);
    const customerSwatch = await clientPoint(customer, swatchCentre.x, swatchCentre.y);
    await customer.mouse.click(customerSwatch.x, customerSwatch.y);
    await h.until("the swatch changes colour in the agent's view", async () => {
      const [now] = await samples(agent, [agentSwatch]);
      return colourDistance(now, before) > 60;
    });

    // Labelled cursors: each sees the other's pointer with name and role.
    const agentMid = await clientPoint(agent, size.width / 2, size.height / 2);
    await agent.mouse.move(agentMid.x, agentMid.y);
    await agent.mouse.move(agentMid.x + 20, agentMid.y + 10, { steps: 4 });
    const agentCursor = customer.locator(`[data-testid="cursor"][data-role="agent"]`);
    await agentCursor.first().waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.equal(await agentCursor.first().getAttribute("data-name"), name);
    const customerMid = await clientPoint(customer, size.width / 3, size.height / 2);
    await customer.mouse.move(customerMid.x, customerMid.y);
    await customer.mouse.move(customerMid.x + 20, customerMid.y + 10, { steps: 4 });
    await agent.locator(`[data-testid="cursor"][data-role="customer"]`).first().waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });

    // The agent types international text into the shop's search field.
    const fieldPoints = [0.1, 0.2, 0.3, 0.4, 0.5].map((f) => ({ x: search.x + search.width * f, y: search.y + search.height / 2 }));
    const customerField = await Promise.all(fieldPoints.map((p) => clientPoint(customer, p.x, p.y)));
    const fieldBefore = await samples(customer, customerField);
    const agentField = await clientPoint(agent, search.x + Math.min(40, search.width / 4), search.y + search.height / 2);
    await agent.mouse.click(agentField.x, agentField.y);
    await agent.keyboard.type(TYPED);
    await h.until("the typed text appears in the customer's view", async () =>
      pixelsDiffer(await samples(customer, customerField), fieldBefore));
    await agent.keyboard.press("Enter");
    await h.until("the customer's address bar shows the search for the typed text", async () => {
      const value = await customer.getByTestId("address").inputValue();
      if (!value.includes("index.html?") || new URL(value).searchParams.get("q") !== TYPED) {
        throw new Error(`the address bar shows ${JSON.stringify(value)}`);
      }
      return true;
    });

    // The agent ends the session, after saying yes; both are told, each in their own words.
    await agent.getByTestId("end").click();
    await agent.getByTestId("end-confirm").click();
    await agent.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    await customer.getByTestId("session-ended").waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await agent.getByTestId("session-ended").textContent()) || "", /You ended the session/);
    assert.match((await customer.getByTestId("session-ended").textContent()) || "", new RegExp(`${name} ended the session`));

    await customer.context().close();
    await agent.context().close();
  });

  test("an invalid PIN is refused with a clear message", { timeout: 60_000 }, async () => {
    const agent = await h.newPage("agent");
    await h.signIn(agent);
    await agent.getByTestId("pin-input").fill("000 000");
    await agent.getByTestId("join").click();
    const error = agent.getByTestId("join-error");
    await error.waitFor({ state: "visible", timeout: STEP_TIMEOUT_MS });
    assert.match((await error.textContent()) || "", /not valid/i);
    await agent.context().close();
  });
});
