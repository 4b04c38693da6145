/** Fixed slots may not be laid over an elastic block: the block is the doctor's time too. */
import { beforeAll, describe, expect, it } from "vitest";
import { availabilityPreviewSchema, problemSchema, zonedToInstant } from "@clinic/shared";
import { useApp } from "../support/harness";
import { buildClinic, buildDoctor, buildPerson, type TestPerson, weekdayRule } from "../support/factories";
import { call } from "../support/api";
import { count } from "../support/db";
import { mondayIn } from "../support/dates";

describe("availability rules against elastic blocks", () => {
  const app = useApp();
  let clinicId: string;
  let reception: TestPerson;

  beforeAll(async () => {
    clinicId = (await buildClinic(app)).id;
    reception = await buildPerson(app, "receptionist", { clinicIds: [clinicId] });
  });

  it("reports the block in the preview and refuses a rule whose slots would overlap it", async () => {
    const doctor = await buildDoctor(app, [clinicId]);
    const monday = mondayIn(1);
    const block = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/elastic-blocks`, {
      clinicId,
      startsAt: zonedToInstant(monday, "10:00", "Europe/London").toISOString(),
      endsAt: zonedToInstant(monday, "11:00", "Europe/London").toISOString(),
    });
    expect(block.status).toBe(201);
    const blockId = (block.body as { id: string }).id;

    const preview = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/availability-rules/preview`, weekdayRule(clinicId));
    expect(preview.status).toBe(200);
    const clashes = availabilityPreviewSchema.parse(preview.body).conflicts.filter((c) => c.type === "elastic_block");
    expect(clashes).toEqual([expect.objectContaining({ blockId, clinicId })]);

    const refused = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicId));
    expect(refused.status).toBe(409);
    expect(problemSchema.parse(refused.body).code).toBe("SCHEDULE_CONFLICT");
    expect(await count(app, `select count(*) n from slot where doctor_id = ?`, [doctor.doctorId!])).toBe(0);

    // Hours that stay clear of the block are fine.
    const clear = await call(app, reception, "POST", `/doctors/${doctor.doctorId}/availability-rules`, weekdayRule(clinicId, { startTime: "13:00", endTime: "15:00" }));
    expect(clear.status).toBe(201);
  });
});
