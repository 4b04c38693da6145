/** Loyalty routes (docs/loyalty.md): a patient's balance and history, for the patient and the clinic side. */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { idParams, loyaltyAccountSchema, loyaltyHistoryQuerySchema, type LoyaltyAccount, type LoyaltyHistoryQuery } from "@clinic/shared";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ModuleContext } from "../../platform/module";
import { notFound } from "../../platform/errors";
import { authorize, requireUser } from "../identity";
import { loyaltyBalance } from "./loyalty.service";

const tags = ["loyalty"];

interface EntryRow {
  id: string;
  kind: LoyaltyAccount["items"][number]["kind"];
  points: number;
  clinic_id: string;
  appointment_id: string | null;
  created_at: Date;
  /** Microseconds since the epoch, exact (a JS Date keeps milliseconds only): the page cursor. */
  at_us: string;
}

/** Balance plus one page of the ledger, newest first (keyset on created_at, id). */
export async function loyaltyAccount(em: EntityManager, patientId: string, page: LoyaltyHistoryQuery): Promise<LoyaltyAccount> {
  const [at, id] = page.cursor ? page.cursor.split("_") : [null, null];
  const rows = await em.execute<EntryRow[]>(
    `select id, kind, points, clinic_id, appointment_id, created_at, (extract(epoch from created_at) * 1000000)::bigint::text as at_us
       from loyalty_points_entry
      where patient_id = ? ${at ? `and (created_at, id) < ('epoch'::timestamptz + ?::bigint * interval '1 microsecond', ?::uuid)` : ""}
      order by created_at desc, id desc limit ?`,
    at ? [patientId, at, id, page.limit + 1] : [patientId, page.limit + 1],
  );
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    patientId,
    balance: await loyaltyBalance(em, patientId),
    items: items.map((row) => ({
      id: row.id,
      kind: row.kind,
      points: row.points,
      clinicId: row.clinic_id,
      appointmentId: row.appointment_id,
      createdAt: new Date(row.created_at).toISOString(),
    })),
    nextCursor: rows.length > page.limit && last ? `${last.at_us}_${last.id}` : null,
  };
}

export function loyaltyRoutes(ctx: ModuleContext): FastifyPluginAsync {
  return async (plugin) => {
    const app = plugin.withTypeProvider<ZodTypeProvider>();
    const em = () => ctx.orm.em.fork() as unknown as EntityManager;

    app.get(
      "/me/loyalty",
      { schema: { tags, summary: "The patient's loyalty balance and history (newest first)", querystring: loyaltyHistoryQuerySchema, response: { 200: loyaltyAccountSchema } } },
      async (request) => {
        const principal = requireUser(request);
        if (!principal.patientId) throw notFound("Patient profile");
        return loyaltyAccount(em(), principal.patientId, request.query);
      },
    );

    app.get(
      "/patients/:patientId/loyalty",
      {
        schema: {
          tags,
          summary: "A patient's loyalty balance and history (the patient, staff of a clinic they booked or earned at, the platform admin)",
          params: idParams("patientId"),
          querystring: loyaltyHistoryQuerySchema,
          response: { 200: loyaltyAccountSchema },
        },
      },
      async (request) => {
        const principal = requireUser(request);
        const { patientId } = request.params;
        const [facts] = await em().execute<{ user_id: string; clinic_ids: string[] }[]>(
          `select p.user_id, array(select clinic_id from appointment where patient_id = p.id
                                   union select clinic_id from loyalty_points_entry where patient_id = p.id)::text[] as clinic_ids
             from patient p where p.id = ?`,
          [patientId],
        );
        if (!facts) throw notFound("Patient");
        authorize(
          principal,
          "patient.loyalty.read",
          { patient: { id: patientId, userId: facts.user_id, doctorIds: [], clinicIds: facts.clinic_ids } },
          principal.role === "patient" ? { hide: "Patient" } : {},
        );
        return loyaltyAccount(em(), patientId, request.query);
      },
    );
  };
}
