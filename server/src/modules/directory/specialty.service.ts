import type { EntityManager } from "@mikro-orm/postgresql";
import { conflict } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { Specialty } from "./specialty.entity";
import { writeTransaction } from "../../platform/transactions";

export async function listSpecialties(em: EntityManager) {
  const specialties = await em.find(Specialty, {}, { orderBy: { name: "asc" } });
  return specialties.map((s) => ({ id: s.id, name: s.name }));
}

export async function createSpecialty(em: EntityManager, actor: AuditActor, name: string) {
  const taken = () => conflict("SPECIALTY_EXISTS", `The specialty "${name}" already exists`);
  return writeTransaction(
    em,
    async (tx) => {
      // citext: "Cardiology" and "cardiology" are the same specialty.
      if (await tx.count(Specialty, { name })) throw taken();
      const specialty = tx.create(Specialty, { name });
      const view = { id: specialty.id, name: specialty.name };
      recordAudit(tx, actor, { action: "specialty.create", entityType: "Specialty", entityId: specialty.id, after: view });
      return view;
    },
    taken,
  );
}
