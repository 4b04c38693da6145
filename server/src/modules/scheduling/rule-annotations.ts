/**
 * A rule's note and tags onto its future free slots, after the edit that changed them has committed
 * and replied (docs/scheduling.md "Edits of note, tags or colour"). The edit records `rule.annotated`;
 * this subscriber writes the note and tags the rule has when it runs, not those the event saw, so two
 * quick edits, a redelivery, or a delivery on another node all end on the latest. It writes in chunks,
 * each its own short transaction, so no booking waits long behind it on a slot's row lock; the last
 * chunk records `slots.annotated` in its transaction. As before, no slot's version moves (the public
 * view is unchanged), held and booked slots keep their own note, and no removed slot is laid again.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { SlotsAnnotated } from "@clinic/shared";
import type { ModuleContext } from "../../platform/module";
import { recordEvents, type Subscriber } from "../../platform/outbox";
import { prepared, runPrepared } from "../../platform/prepared";

/** Rows per statement: each new row version also costs a `slot_no_overlap` GiST insert and check. */
export const ANNOTATION_CHUNK = 300;
/**
 * How long a chunk waits for a slot row another transaction holds (a booking takes milliseconds).
 * Past it the chunk fails and the outbox retries the rest with back-off, keeping the chunks done.
 */
const LOCK_TIMEOUT = "1s";
/** Rules one delivery writes at once (each holds a pooled connection per chunk). */
const RULES_AT_ONCE = 4;

/**
 * Up to $2 of rule $1's future free slots from $3 on whose note or tags differ from the rule's,
 * earliest first: the rule's current note and tags written onto them. Walks the doctor's slots by
 * start (`slot (doctor_id, starts_at)`) from where the last chunk stopped, so a chunk reads its rows
 * only. `more`: others still differ after `last`, where the next chunk starts.
 */
const WRITE_CHUNK = prepared<{ count: number; more: boolean; last: Date | null }>(
  "rule-annotations-chunk",
  `with rule as (select id, doctor_id, note, tags from availability_rule where id = $1),
   due as (
     select s.id, s.starts_at from slot s join rule r on s.doctor_id = r.doctor_id and s.rule_id = r.id
      where s.starts_at >= greatest(now(), $3::timestamptz) and s.status = 'available'
        and (s.note is distinct from r.note or s.tags is distinct from r.tags)
      order by s.starts_at limit $2::int + 1),
   chunk as (select id, starts_at from due order by starts_at limit $2::int),
   annotated as (
     update slot set note = r.note, tags = r.tags, updated_at = now()
       from rule r, chunk
      where slot.id = chunk.id and slot.status = 'available'
      returning 1)
   select (select count(*) from annotated)::int as count, (select count(*) from due) > $2::int as more,
          (select max(starts_at) from chunk) as last`,
);

/** The `slots.annotated` summary: the rule's note and tags, and the span of its future free slots that now carry them. */
const SUMMARY = prepared<{ doctor_id: string; clinic_id: string; note: string | null; tags: string[]; from: Date | null; to: Date | null }>(
  "rule-annotations-summary",
  `select r.doctor_id, r.clinic_id, r.note, r.tags, min(s.starts_at) as "from", max(s.ends_at) as "to"
     from availability_rule r left join slot s on s.rule_id = r.id and s.starts_at >= now() and s.status = 'available'
    where r.id = $1 group by r.id`,
);

/** Writes rule `ruleId`'s note and tags onto its future free slots that differ; records `slots.annotated` if it wrote any. */
export async function writeRuleAnnotations(em: EntityManager, ruleId: string): Promise<void> {
  let written = 0;
  let from: Date | null = null;
  for (let done = false; !done; ) {
    done = await (em.fork() as EntityManager).transactional(async (tx) => {
      await tx.execute(`set local lock_timeout = '${LOCK_TIMEOUT}'`);
      const [chunk] = await runPrepared(tx, WRITE_CHUNK, [ruleId, ANNOTATION_CHUNK, from]);
      written += chunk!.count;
      from = chunk!.last;
      if (chunk!.more) return false;
      // The last chunk: its summary commits with it, so a failure before here is retried and still announced.
      const [rule] = written > 0 ? await runPrepared(tx, SUMMARY, [ruleId]) : [];
      if (rule?.from && rule.to) {
        const annotated: SlotsAnnotated = {
          ruleId,
          doctorId: rule.doctor_id,
          clinicId: rule.clinic_id,
          from: new Date(rule.from).toISOString(),
          to: new Date(rule.to).toISOString(),
          count: written,
          tags: rule.tags,
          note: rule.note,
        };
        await recordEvents(tx, [{ name: "slots.annotated", data: annotated }]);
      }
      return true;
    });
  }
}

/**
 * `rule.annotated` → the rule's note and tags onto its free slots. A batch's edits of one rule are
 * written once; different rules (disjoint rows) RULES_AT_ONCE at a time, so edits that commit
 * together do not settle one after another. Any failure retries the batch (each rule's write is idempotent).
 */
export function ruleAnnotations(ctx: ModuleContext): Subscriber {
  return {
    name: "rule-annotations",
    wants: (name) => name === "rule.annotated",
    async handle(events) {
      const ruleIds = [...new Set(events.flatMap((event) => (event.name === "rule.annotated" ? [event.data.ruleId] : [])))];
      const lanes = Array.from({ length: Math.min(RULES_AT_ONCE, ruleIds.length) }, async () => {
        for (let ruleId = ruleIds.shift(); ruleId; ruleId = ruleIds.shift()) await writeRuleAnnotations(ctx.orm.em as EntityManager, ruleId);
      });
      const failed = (await Promise.allSettled(lanes)).find((lane) => lane.status === "rejected");
      if (failed) throw failed.reason;
    },
  };
}
