import { describe, expect, it } from "vitest";
import type { FastifyRequest } from "fastify";
import { ERRORS, errorMessage } from "@clinic/shared";
import { conflict, forbidden, invalid, notFound, unprocessable } from "../../server/src/platform/errors";
import { toProblem } from "../../server/src/platform/problem";

const render = (error: Error) => toProblem(error, { headers: {} } as FastifyRequest);

describe("error factories", () => {
  it("take the status and default message listed for the code", () => {
    expect(render(conflict("SLOT_TAKEN"))).toMatchObject({ status: 409, code: "SLOT_TAKEN", detail: ERRORS.SLOT_TAKEN.message, title: "Conflict" });
  });

  it("put a message that says more, and extra members, into the problem", () => {
    expect(render(conflict("IN_QUEUE", "The patient is in today's queue (A-001)", { ticket: "A-001" }))).toMatchObject({
      status: 409,
      detail: "The patient is in today's queue (A-001)",
      ticket: "A-001",
    });
    expect(render(unprocessable("DOCTOR_NOT_AT_CLINIC", { field: "body.doctorId" }))).toMatchObject({
      status: 422,
      detail: ERRORS.DOCTOR_NOT_AT_CLINIC.message,
      field: "body.doctorId",
    });
  });

  it("name the generic cases: what was not found, why it was forbidden, which field is invalid", () => {
    expect(render(notFound("Appointment"))).toMatchObject({ status: 404, code: "NOT_FOUND", detail: "Appointment not found" });
    expect(render(forbidden())).toMatchObject({ status: 403, code: "FORBIDDEN", detail: "Not allowed" });
    expect(render(invalid("query.to", "must be after from"))).toMatchObject({
      status: 400,
      code: "VALIDATION_FAILED",
      detail: "Invalid query.to",
      errors: [{ field: "query.to", message: "must be after from" }],
    });
  });

  it("give the web a default message for a listed code and none for an unknown one", () => {
    expect(errorMessage("HOLD_EXPIRED")).toBe(ERRORS.HOLD_EXPIRED.message);
    expect(errorMessage("SOMETHING_NEWER")).toBeUndefined();
    expect(errorMessage("toString")).toBeUndefined();
  });
});
