/**
 * Twilio's delivery reports (the StatusCallback we pass when PUBLIC_URL is set). Each is signed the
 * way Twilio signs webhooks: base64 HMAC-SHA1, keyed by the auth token, over the full URL Twilio
 * called followed by every POST parameter sorted by name, as name + value.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { EntityManager } from "@mikro-orm/postgresql";
import { recordAudit, type AuditActor } from "../../platform/audit";

export function twilioSignature(authToken: string, url: string, params: Record<string, string | string[]>): string {
  const data = Object.keys(params)
    .sort()
    .map((name) => {
      const value = params[name]!;
      return Array.isArray(value) ? [...value].sort().map((one) => name + one).join("") : name + value;
    })
    .join("");
  return createHmac("sha1", authToken).update(url + data, "utf8").digest("base64");
}

export function validTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string | string[]>,
  signature: string | undefined,
): boolean {
  if (!signature) return false;
  const expected = Buffer.from(twilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Parses a form body keeping repeated names (they are all signed). */
export function parseForm(body: string): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    const seen = params[name];
    params[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

/**
 * Applies a verified report: `delivered` moves a sent SMS to delivered, `failed` / `undelivered`
 * to failed with Twilio's error code. Intermediate statuses and unknown message ids change nothing.
 */
export async function applyTwilioStatus(
  em: EntityManager,
  actor: AuditActor,
  report: { MessageSid: string; MessageStatus: string; ErrorCode?: string; ErrorMessage?: string },
): Promise<{ changed: boolean }> {
  const status = report.MessageStatus;
  if (status !== "delivered" && status !== "failed" && status !== "undelivered") return { changed: false };
  return em.transactional(async (tx) => {
    const detail =
      status === "delivered" ? null : `twilio ${status}${report.ErrorCode ? ` ${report.ErrorCode}` : ""}${report.ErrorMessage ? `: ${report.ErrorMessage}` : ""}`;
    const rows = await tx.execute<{ id: string; clinic_id: string | null }[]>(
      `update notification_outbox
          set status = ?, status_detail = coalesce(?, status_detail),
              delivered_at = case when ? = 'delivered' then now() else delivered_at end, updated_at = now()
        where provider_id = ? and channel = 'sms' and status = 'sent' returning id, clinic_id`,
      [status === "delivered" ? "delivered" : "failed", detail, status, report.MessageSid],
    );
    for (const row of rows) {
      recordAudit(tx, actor, {
        action: "notification.status.update",
        entityType: "OutboxMessage",
        entityId: row.id,
        clinicId: row.clinic_id,
        after: { status: status === "delivered" ? "delivered" : "failed", via: "twilio", errorCode: report.ErrorCode ?? null },
      });
    }
    return { changed: rows.length > 0 };
  });
}
