/** Email through SMTP (nodemailer). */
import nodemailer from "nodemailer";
import { PermanentDeliveryError, type ChannelSender } from "./channels";

export function emailSender(smtpUrl: string, from: string): ChannelSender {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      try {
        const info = await transport.sendMail({
          from,
          to: message.recipient,
          subject: message.title,
          text: message.body,
          attachments: message.attachments,
          // Stable per outbox row, so a message sent twice (see docs: at-least-once) can be told apart downstream.
          messageId: `<${message.outboxId}@clinic-live>`,
        });
        return { providerId: info.messageId, status: "sent" };
      } catch (error) {
        // 5xx replies are the server refusing this message; anything else (4xx, network) may pass later.
        const responseCode = (error as { responseCode?: number }).responseCode;
        if (responseCode !== undefined && responseCode >= 500) {
          throw new PermanentDeliveryError(`smtp-${responseCode}`, (error as Error).message);
        }
        throw error;
      }
    },
    close: () => transport.close(),
  };
}
