/** Clinic services: the bookable kinds of visit at one clinic. Names are unique per clinic. */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { ClinicServiceView, CreateClinicServiceRequest, UpdateClinicServiceRequest } from "@clinic/shared";
import { conflict, notFound } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { findClinic } from "./clinic.service";
import { ClinicService } from "./service.entity";
import { clinicServiceView } from "./views";
import { writeTransaction } from "../../platform/transactions";

const nameTaken = (name: string) =>
  conflict("SERVICE_NAME_TAKEN", `This clinic already has a service named "${name}"`, { name });

export async function listActiveServices(em: EntityManager, clinicId: string): Promise<ClinicServiceView[]> {
  await findClinic(em, clinicId);
  const services = await em.find(ClinicService, { clinic: clinicId, active: true }, { orderBy: { name: "asc", id: "asc" } });
  return services.map(clinicServiceView);
}

export async function createService(
  em: EntityManager,
  actor: AuditActor,
  clinicId: string,
  input: CreateClinicServiceRequest,
): Promise<ClinicServiceView> {
  return writeTransaction(
    em,
    async (tx) => {
      const clinic = await findClinic(tx, clinicId, { includeInactive: true });
      if (await tx.count(ClinicService, { clinic: clinicId, name: input.name })) throw nameTaken(input.name);
      const service = tx.create(ClinicService, { clinic, ...input, active: true });
      const after = clinicServiceView(service);
      recordAudit(tx, actor, { action: "clinic.service.create", entityType: "ClinicService", entityId: service.id, clinicId, after });
      await tx.flush();
      return after;
    },
    () => nameTaken(input.name),
  );
}

export async function updateService(
  em: EntityManager,
  actor: AuditActor,
  clinicId: string,
  serviceId: string,
  input: UpdateClinicServiceRequest,
  action = "clinic.service.update",
): Promise<ClinicServiceView> {
  return writeTransaction(
    em,
    async (tx) => {
      const service = await tx.findOne(ClinicService, { id: serviceId, clinic: clinicId });
      if (!service) throw notFound("Service");
      const before = clinicServiceView(service);
      if (input.name !== undefined && input.name !== service.name) {
        if (await tx.count(ClinicService, { clinic: clinicId, name: input.name })) throw nameTaken(input.name);
      }
      tx.assign(service, input);
      await tx.flush();
      const after = clinicServiceView(service);
      recordAudit(tx, actor, { action, entityType: "ClinicService", entityId: service.id, clinicId, before, after });
      return after;
    },
    () => nameTaken(input.name ?? ""),
  );
}

/** Deactivation keeps the row (slots and appointments refer to it) and its name. */
export function deactivateService(em: EntityManager, actor: AuditActor, clinicId: string, serviceId: string) {
  return updateService(em, actor, clinicId, serviceId, { active: false }, "clinic.service.deactivate");
}
