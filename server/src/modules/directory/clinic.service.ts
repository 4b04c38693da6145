/** Clinics and branches: listing, creation, profile changes, activation. */
import type { EntityManager } from "@mikro-orm/postgresql";
import {
  clinicSettingsSchema,
  type ClinicSummary,
  type ClinicView,
  type CreateClinicRequest,
  type UpdateClinicRequest,
} from "@clinic/shared";
import { conflict, notFound, unprocessable } from "../../platform/errors";
import { recordAudit, type AuditActor } from "../../platform/audit";
import { Clinic } from "./clinic.entity";
import { clinicSummaryView, clinicView } from "./views";
import { writeTransaction } from "../../platform/transactions";

const slugTaken = (slug: string) => conflict("SLUG_TAKEN", `The slug "${slug}" is already in use`, { slug });

export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/g, "");
  return slug.length >= 2 ? slug : `clinic-${crypto.randomUUID().slice(0, 8)}`;
}

export async function listActiveClinics(em: EntityManager): Promise<ClinicSummary[]> {
  const clinics = await em.find(Clinic, { active: true }, { orderBy: { name: "asc", id: "asc" } });
  return clinics.map(clinicSummaryView);
}

/** The clinic, or 404; a deactivated clinic only when `includeInactive`. */
export async function findClinic(em: EntityManager, clinicId: string, options: { includeInactive?: boolean } = {}): Promise<Clinic> {
  const clinic = await em.findOne(Clinic, { id: clinicId });
  if (!clinic || (!clinic.active && !options.includeInactive)) throw notFound("Clinic");
  return clinic;
}

export async function getClinic(em: EntityManager, clinicId: string, options: { includeInactive?: boolean } = {}): Promise<ClinicView> {
  return clinicView(await findClinic(em, clinicId, options));
}

async function assertParentAllowed(tx: EntityManager, clinicId: string | null, parentId: string): Promise<Clinic> {
  const parent = await tx.findOne(Clinic, { id: parentId });
  if (!parent) throw unprocessable("UNKNOWN_PARENT_CLINIC", { parentClinicId: parentId });
  // Walk up from the new parent: meeting this clinic again would make a cycle.
  for (let cursor: Clinic | null = parent, depth = 0; cursor && depth < 32; depth++) {
    if (cursor.id === clinicId) throw unprocessable("PARENT_CYCLE");
    const nextId: string | undefined = cursor.parentClinic?.id;
    cursor = nextId ? await tx.findOne(Clinic, { id: nextId }) : null;
  }
  return parent;
}

export async function createClinic(em: EntityManager, actor: AuditActor, input: CreateClinicRequest): Promise<ClinicView> {
  const slug = input.slug ?? slugify(input.name);
  return writeTransaction(
    em,
    async (tx) => {
      if (await tx.count(Clinic, { slug })) throw slugTaken(slug);
      const parent = input.parentClinicId ? await assertParentAllowed(tx, null, input.parentClinicId) : null;
      const clinic = tx.create(Clinic, {
        slug,
        name: input.name,
        timeZone: input.timeZone,
        address: input.address ?? null,
        phone: input.phone ?? null,
        email: input.email ?? null,
        settings: clinicSettingsSchema.parse(input.settings ?? {}),
        parentClinic: parent,
        active: true,
      });
      const after = clinicView(clinic);
      recordAudit(tx, actor, { action: "clinic.create", entityType: "Clinic", entityId: clinic.id, clinicId: clinic.id, after });
      await tx.flush();
      return clinicView(clinic);
    },
    () => slugTaken(slug),
  );
}

export async function updateClinic(
  em: EntityManager,
  actor: AuditActor,
  clinicId: string,
  input: UpdateClinicRequest,
): Promise<ClinicView> {
  return writeTransaction(
    em,
    async (tx) => {
      const clinic = await findClinic(tx, clinicId, { includeInactive: true });
      const before = clinicView(clinic);
      if (input.slug !== undefined && input.slug !== clinic.slug) {
        if (await tx.count(Clinic, { slug: input.slug })) throw slugTaken(input.slug);
        clinic.slug = input.slug;
      }
      if (input.name !== undefined) clinic.name = input.name;
      if (input.timeZone !== undefined) clinic.timeZone = input.timeZone;
      if (input.address !== undefined) clinic.address = input.address;
      if (input.phone !== undefined) clinic.phone = input.phone;
      if (input.email !== undefined) clinic.email = input.email;
      if (input.settings !== undefined) clinic.settings = clinicSettingsSchema.parse(input.settings);
      if (input.parentClinicId !== undefined) {
        clinic.parentClinic = input.parentClinicId === null ? null : await assertParentAllowed(tx, clinic.id, input.parentClinicId);
      }
      await tx.flush();
      const after = clinicView(clinic);
      recordAudit(tx, actor, { action: "clinic.update", entityType: "Clinic", entityId: clinic.id, clinicId: clinic.id, before, after });
      return after;
    },
    () => slugTaken(input.slug ?? ""),
  );
}

export async function setClinicActive(em: EntityManager, actor: AuditActor, clinicId: string, active: boolean): Promise<ClinicView> {
  return writeTransaction(em, async (tx) => {
    const clinic = await findClinic(tx, clinicId, { includeInactive: true });
    const before = clinicView(clinic);
    clinic.active = active;
    await tx.flush();
    const after = clinicView(clinic);
    recordAudit(tx, actor, {
      action: active ? "clinic.activate" : "clinic.deactivate",
      entityType: "Clinic",
      entityId: clinic.id,
      clinicId: clinic.id,
      before,
      after,
    });
    return after;
  });
}
