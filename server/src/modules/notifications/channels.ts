/**
 * The channel port: one sender per channel that has a provider configured. A sender either
 * resolves with what the provider said, throws `PermanentDeliveryError` (the provider refused the
 * message: retrying cannot help), or throws anything else (the provider could not be reached or had
 * a fault: the delivery job retries with back-off).
 */
import type { NotificationChannel } from "@clinic/shared";
import type { Config } from "../../config";
import { emailSender } from "./channel.email";
import { pushSender, twilioSender } from "./channel.http";

export interface OutgoingMessage {
  /** The outbox row's id: the idempotency key where the provider takes one. */
  outboxId: string;
  userId: string | null;
  recipient: string;
  title: string;
  body: string;
  /** Files to go with it where the channel carries files (email): the booking's calendar event. */
  attachments?: { filename: string; contentType: string; content: string }[];
}

export interface SendResult {
  providerId: string | null;
  /** `delivered` when the channel itself is the destination (in-app), `sent` when a provider took it. */
  status: "sent" | "delivered";
}

export interface ChannelSender {
  send(message: OutgoingMessage): Promise<SendResult>;
  close?(): void;
}

/** The provider refused this message for good (a 4xx, a rejected address). */
export class PermanentDeliveryError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "PermanentDeliveryError";
  }
}

export type ChannelSenders = Partial<Record<NotificationChannel, ChannelSender>>;

/** In-app messages need no provider: the outbox row is the inbox entry. */
const inAppSender: ChannelSender = { send: async () => ({ providerId: null, status: "delivered" }) };

/**
 * The senders this process can use; a channel left out has no provider (`not_sent: no provider`).
 * Without SMTP_URL, with the development mailbox on, email goes to the catcher `startMailCatcher` starts.
 */
export async function createChannelSenders(
  config: Config["notifications"],
  publicUrl: string | undefined,
  startMailCatcher: () => Promise<{ url: string }>,
): Promise<ChannelSenders> {
  const senders: ChannelSenders = { in_app: inAppSender };
  if (config.smtpUrl) senders.email = emailSender(config.smtpUrl, config.mailFrom);
  else if (config.devMailbox) senders.email = emailSender((await startMailCatcher()).url, config.mailFrom);
  if (config.twilio) senders.sms = twilioSender(config.twilio, publicUrl);
  if (config.pushWebhookUrl) senders.push = pushSender(config.pushWebhookUrl);
  return senders;
}

/** Where Twilio posts delivery reports for the messages we send (when PUBLIC_URL is set). */
export const TWILIO_STATUS_PATH = "/api/v1/notifications/twilio/status";
