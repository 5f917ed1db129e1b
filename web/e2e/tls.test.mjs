// End-to-end over HTTPS served by beside itself (BESIDE_TLS_CERT, BESIDE_TLS_KEY): a customer
// and an agent in Chromium start, join and both see the demo shop, the login cookie is
// Secure, HSTS is sent, and plain HTTP on the redirect listener lands on the HTTPS page.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Harness, nonBlank, picture } from "./harness.mjs";

const h = new Harness();
const dir = mkdtempSync(join(tmpdir(), "beside-e2e-tls-"));

/** A self-signed certificate for localhost and 127.0.0.1, as an operator would make one. */
function makeCertificate() {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ], { stdio: "ignore" });
  chmodSync(key, 0o600);
  return { cert, key };
}

describe("beside serving HTTPS itself", { timeout: 180_000 }, () => {
  before(async () => {
    const { cert, key } = makeCertificate();
    await h.start({ BESIDE_TLS_CERT: cert, BESIDE_TLS_KEY: key, BESIDE_TLS_REDIRECT_LISTEN: "127.0.0.1:0" });
  });
  after(async () => {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("customer and agent work together over HTTPS; plain HTTP is sent there", { timeout: 150_000 }, async () => {
    assert.match(h.base, /^https:\/\/127\.0\.0\.1:\d+$/);
    // The test's certificate is its own: Chromium is told to accept it, as a browser would
    // once the operator's real certificate is in place.
    const customer = await h.newPage("customer", { ignoreHTTPSErrors: true });
    const agent = await h.newPage("agent", { ignoreHTTPSErrors: true });

    const landing = await customer.goto(`${h.base}/c/demo`);
    assert.equal(landing?.headers()["strict-transport-security"], "max-age=31536000");
    const pin = await h.startCustomer(customer);
    await h.signIn(agent);
    const cookies = await agent.context().cookies();
    assert.ok(cookies.length > 0 && cookies.every((c) => c.secure && c.httpOnly), JSON.stringify(cookies));
    await h.join(agent, pin);

    // The cloud browser reaches the demo shop (on its own loopback listener) and both see it.
    await h.titleIs(customer, "Beside Outfitters — Shop");
    await h.titleIs(agent, "Beside Outfitters — Shop");
    await h.until("the customer's view shows the page", async () => nonBlank(await picture(customer)));
    await h.until("the agent's view shows the page", async () => nonBlank(await picture(agent)));

    // Plain HTTP on the redirect listener goes to the same page over HTTPS.
    const printed = h.server?.log().match(/plain HTTP on (\S+) redirects to HTTPS/);
    assert.ok(printed, "beside says where plain HTTP is redirected");
    const visitor = await h.newPage("visitor", { ignoreHTTPSErrors: true });
    await visitor.goto(`http://${printed[1]}/c/demo?lang=de`);
    const port = new URL(h.base).port;
    assert.equal(visitor.url(), `https://127.0.0.1:${port}/c/demo?lang=de`);
    await visitor.getByTestId("start").waitFor({ state: "visible" });
  });
});
