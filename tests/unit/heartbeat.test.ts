import { describe, expect, it } from "vitest";
import { heartbeatCheck } from "../../server/src/platform/heartbeat";

describe("the worker heartbeat as readiness sees it", () => {
  const now = Date.parse("2026-12-14T10:00:00Z");
  const secondsAgo = (seconds: number) => new Date(now - seconds * 1000).toISOString();

  it("is up while the last beat is at most three beats old", () => {
    expect(heartbeatCheck(secondsAgo(44), 15, now)).toEqual({
      status: "up",
      detail: { lastHeartbeat: secondsAgo(44), ageSeconds: 44, staleAfterSeconds: 45 },
    });
  });

  it("is down once it is older, saying for how long, and when there is none", () => {
    expect(heartbeatCheck(secondsAgo(46), 15, now)).toMatchObject({ status: "down", error: "no worker heartbeat for 46 s" });
    expect(heartbeatCheck(null, 15, now)).toEqual({
      status: "down",
      error: "no worker heartbeat",
      detail: { lastHeartbeat: null, ageSeconds: null, staleAfterSeconds: 45 },
    });
  });
});
