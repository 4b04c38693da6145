/**
 * The development mailbox: with no SMTP_URL, the worker sends email over SMTP to the mail catcher it
 * starts on loopback, and GET /api/v1/dev/mailbox shows what it caught (newest first) — so a sign-up
 * can be verified with nothing configured. Off (404) unless turned on, and never in production.
 */
import { describe, expect, it } from "vitest";
import { devMailboxSchema } from "@clinic/shared";
import { readJson, useApiAndWorker, useApp, waitFor } from "../support/harness";
import { clientOf, freshEmail, PASSWORD } from "../identity/support";
import { query } from "../support/db";

describe("the development mailbox", () => {
  const { api } = useApiAndWorker({ DEV_MAILBOX: "true" });

  const mailTo = async (email: string) =>
    waitFor(async () => {
      const response = await fetch(`${api.url}/api/v1/dev/mailbox`);
      expect(response.status).toBe(200);
      return (await readJson(response, devMailboxSchema)).items.find((item) => item.to === email);
    }, 20_000);

  it("catches the verification email over SMTP, so the new account can verify and sign in", async () => {
    const client = clientOf(api);
    const email = freshEmail("mailbox");
    const registered = await client.post("/auth/register", { email, password: PASSWORD, name: "Rima Das", role: "patient" });
    expect(registered.status).toBe(201);

    const mail = await mailTo(email);
    expect(mail.subject).not.toBe("");
    const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
    expect(code, mail.text).toBeDefined();
    expect(Date.parse(mail.at)).toBeGreaterThan(Date.now() - 60_000);

    expect((await client.post("/auth/verify", { email, code })).status).toBe(200);
    expect((await client.post("/auth/login", { email, password: PASSWORD })).status).toBe(200);
    // The outbox row went out through the catcher: sent, with its Message-ID.
    const [row] = await query<{ status: string; provider_id: string }>(api, "select status, provider_id from notification_outbox where recipient = ?", [email]);
    expect(row).toMatchObject({ status: "sent", provider_id: expect.stringMatching(/@clinic-live>$/) });
  });

  it("lists the newest message first", async () => {
    const client = clientOf(api);
    const first = freshEmail("first");
    const second = freshEmail("second");
    await client.post("/auth/register", { email: first, password: PASSWORD, name: "First Person", role: "patient" });
    await mailTo(first);
    await client.post("/auth/register", { email: second, password: PASSWORD, name: "Second Person", role: "patient" });
    await mailTo(second);
    const { items } = await readJson(await fetch(`${api.url}/api/v1/dev/mailbox`), devMailboxSchema);
    const order = items.map((item) => item.to).filter((to) => to === first || to === second);
    expect(order).toEqual([second, first]);
  });
});

describe("without the development mailbox", () => {
  const app = useApp();

  it("has no mailbox route", async () => {
    const response = await fetch(`${app.url}/api/v1/dev/mailbox`);
    expect(response.status).toBe(404);
  });
});
