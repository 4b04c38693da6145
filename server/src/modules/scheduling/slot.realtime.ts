/**
 * The only place that turns committed slot and elastic-block changes into socket events (the
 * `slot.*`, `slots.annotated` and `elastic.*` domain events, whoever recorded them), and the `slots:{doctorId}` topic
 * with its snapshot: what a patient could book over the next 7 days.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { isDomainEventOf, topics, type DomainEvent, type SlotsAnnotated, type SlotsSnapshot, type Topic } from "@clinic/shared";
import type { RealtimeMessage } from "../../platform/events";
import type { ModuleContext } from "../../platform/module";
import type { Subscriber } from "../../platform/outbox";
import type { Realtime } from "../../platform/realtime";
import { doctorVisibility } from "../directory";
import { asUser, can } from "../identity";
import { BLOCK_SELECT, blockChange, type BlockChange, type BlockRow } from "./elastic.store";
import { SLOT_COLUMNS, slotChange, type SlotChange, type SlotRow } from "./slot.store";

/** Slot kinds the public `slots:` topic carries; walk-in and emergency slots go to staff topics only. */
const PUBLIC_SLOT_KINDS = new Set(["regular"]);

/** The topics one slot change concerns, most public first. */
export function slotTopics(change: SlotChange): Topic[] {
  const staff = [topics.doctor(change.doctorId), topics.clinic(change.clinicId)];
  const watchedPublicly = PUBLIC_SLOT_KINDS.has(change.kind) || (change.previousKind !== undefined && PUBLIC_SLOT_KINDS.has(change.previousKind));
  return watchedPublicly ? [topics.slots(change.doctorId), ...staff] : staff;
}

/** A rule's new note or tags on its free slots: staff annotations, so staff topics only. */
export function annotationTopics(annotated: SlotsAnnotated): Topic[] {
  return [topics.doctor(annotated.doctorId), topics.clinic(annotated.clinicId)];
}

/** The topics one block change concerns: blocks hold regular bookings, so the public too. */
export function blockTopics(change: BlockChange): Topic[] {
  return [topics.slots(change.doctorId), topics.doctor(change.doctorId), topics.clinic(change.clinicId)];
}

/**
 * Every slot and block change to every topic it concerns, in the batch's order (one Redis
 * connection: Redis numbers them in this order). A failure is retried by the outbox; the payloads
 * carry versions, so a late event never undoes a newer one on a screen.
 */
export function slotRealtime(ctx: ModuleContext): Subscriber {
  return {
    name: "slot-realtime",
    wants: (name) => name.startsWith("slot.") || name.startsWith("elastic.") || name === "slots.annotated",
    async handle(events: DomainEvent[]) {
      const messages: RealtimeMessage[] = [];
      for (const event of events) {
        if (isDomainEventOf(event, "slot")) for (const topic of slotTopics(event.data)) messages.push({ topic, type: event.name, data: event.data });
        else if (isDomainEventOf(event, "elastic")) for (const topic of blockTopics(event.data)) messages.push({ topic, type: event.name, data: event.data });
        else if (event.name === "slots.annotated") for (const topic of annotationTopics(event.data)) messages.push({ topic, type: event.name, data: event.data });
      }
      await ctx.events.publishAll(messages);
    },
  };
}

const DAY_MS = 86_400_000;
/** Upper bound on rows in one snapshot; a client needing more pages through REST. */
export const SNAPSHOT_LIMIT = 500;
const UUID = "([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})";

/**
 * `slots:{doctorId}`: the doctor's slots over the next 7 days with the public search's visibility
 * (regular kind, active clinic, approved and active doctor), whatever their status (a lapsed hold
 * shows as available; a live one carries `holdExpiresAt` for the countdown): booked, blocked and
 * expired ones too, so that a client holds every slot's version and can tell an event delivered
 * late (after a node or Redis failure, by another node's outbox sweep) from a newer one. And the
 * doctor's elastic blocks in that window with their fill (`elastic.*` events update them; offers for
 * a service come from GET /slots). No patient data.
 */
export async function slotsSnapshot(em: EntityManager, doctorId: string, now = new Date()): Promise<SlotsSnapshot> {
  const to = new Date(now.getTime() + 7 * DAY_MS);
  const visible = `join doctor d on d.id = ? join user_account u on u.id = d.user_id
    where c.active and d.approval_status = 'approved' and u.status = 'active'`;
  const [rows, blocks] = await Promise.all([
    em.getConnection().execute<SlotRow[]>(
      `select ${SLOT_COLUMNS.split(", ").map((column) => `s.${column}`).join(", ")}
         from slot s join clinic c on c.id = s.clinic_id ${visible}
          and s.doctor_id = d.id and s.starts_at >= ? and s.starts_at < ? and s.kind = 'regular'
        order by s.starts_at, s.id limit ?`,
      [doctorId, now, to, SNAPSHOT_LIMIT],
    ),
    em.getConnection().execute<BlockRow[]>(
      `${BLOCK_SELECT} join clinic c on c.id = b.clinic_id ${visible}
          and b.doctor_id = d.id and b.ends_at > ? and b.starts_at < ?
        order by b.starts_at, b.id limit ?`,
      [doctorId, now, to, SNAPSHOT_LIMIT],
    ),
  ]);
  const withoutCause = <T extends { cause: string }>({ cause: _cause, ...view }: T) => view;
  return {
    doctorId,
    from: now.toISOString(),
    to: to.toISOString(),
    // A lapsed hold is free to every reader, as in the public search.
    slots: rows.map((row) => {
      const live = row.status === "held" && row.hold_expires_at !== null && new Date(row.hold_expires_at) <= now;
      return withoutCause(slotChange({ ...row, status: live ? "available" : row.status, hold_expires_at: row.status === "held" && !live ? row.hold_expires_at : null }, ""));
    }),
    blocks: blocks.map((row) => withoutCause(blockChange(row, ""))),
  };
}

/**
 * `slots:{doctorId}` — anyone signed in may watch a listed doctor; an unlisted (pending, suspended)
 * doctor's slots only those who may see the unlisted doctor. Everyone gets the public view.
 */
export function registerSlotTopics(realtime: Realtime, ctx: ModuleContext): void {
  const em = () => ctx.orm.em.fork() as EntityManager;
  realtime.registerTopic({
    name: "slots",
    pattern: new RegExp(`^${topics.slots(UUID)}$`),
    async authorize(principal, _topic, match) {
      const user = asUser(principal);
      if (!user) return false;
      const doctorId = match[1]!;
      const doctor = await doctorVisibility(em(), doctorId);
      if (!doctor) return false;
      return doctor.listed || can(user, "doctor.unlisted.read", { doctorId, doctorClinicIds: doctor.clinicIds });
    },
    snapshot: (_principal, _topic, match) => slotsSnapshot(em(), match[1]!),
  });
}
