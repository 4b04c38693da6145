/**
 * The HTTP channels: SMS in Twilio's REST format and push through a JSON webhook. Both answer the
 * same way: 2xx sent, 4xx refused for good, 5xx or no answer retried.
 */
import type { Config } from "../../config";
import { PermanentDeliveryError, TWILIO_STATUS_PATH, type ChannelSender } from "./channels";

const TIMEOUT_MS = 10_000;

type Twilio = NonNullable<Config["notifications"]["twilio"]>;

export function twilioSender(twilio: Twilio, publicUrl: string | undefined): ChannelSender {
  const url = `${twilio.apiBase.replace(/\/$/, "")}/2010-04-01/Accounts/${encodeURIComponent(twilio.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString("base64")}`;
  return {
    async send(message) {
      const form = new URLSearchParams({ To: message.recipient, From: twilio.from, Body: `${message.title}\n${message.body}` });
      if (publicUrl) form.set("StatusCallback", new URL(TWILIO_STATUS_PATH, publicUrl).toString());
      const reply = await post(url, { authorization, "content-type": "application/x-www-form-urlencoded" }, form.toString());
      const sid = (reply as { sid?: unknown }).sid;
      return { providerId: typeof sid === "string" ? sid : null, status: "sent" };
    },
  };
}

export function pushSender(webhookUrl: string): ChannelSender {
  return {
    async send(message) {
      const reply = await post(
        webhookUrl,
        { "content-type": "application/json", "idempotency-key": message.outboxId },
        JSON.stringify({ to: message.userId, title: message.title, body: message.body }),
      );
      const id = (reply as { id?: unknown }).id;
      return { providerId: typeof id === "string" ? id : null, status: "sent" };
    },
  };
}

/** POSTs and returns the JSON reply; 4xx → PermanentDeliveryError with the provider's code and message. */
async function post(url: string, headers: Record<string, string>, body: string): Promise<unknown> {
  const response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = {};
  }
  if (response.ok) return json;
  const { code, message } = json as { code?: unknown; message?: unknown };
  const detail = `HTTP ${response.status}${code !== undefined ? ` ${String(code)}` : ""}: ${typeof message === "string" ? message : text.slice(0, 200)}`;
  if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
    throw new PermanentDeliveryError(code !== undefined ? String(code) : `http-${response.status}`, detail);
  }
  throw new Error(detail);
}
