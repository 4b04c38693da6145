/** The staff/doctor view of a doctor's slots at a clinic (blocked ones, notes and tags included). */
import type { EntityManager } from "@mikro-orm/postgresql";
import type { SlotStatus, StaffSlotView } from "@clinic/shared";
import { Slot } from "./slot.entity";
import { staffSlotView } from "./slot.views";

export async function listDoctorSlots(
  em: EntityManager,
  doctorId: string,
  query: { clinicId: string; from: string; to: string; status?: SlotStatus },
): Promise<StaffSlotView[]> {
  const slots = await em.find(
    Slot,
    {
      doctor: doctorId,
      clinic: query.clinicId,
      startsAt: { $gte: new Date(query.from), $lt: new Date(query.to) },
      ...(query.status ? { status: query.status } : { status: { $ne: "expired" } }),
    },
    { orderBy: { startsAt: "asc", id: "asc" } },
  );
  return slots.map(staffSlotView);
}
