/**
 * An area's screens load when one of them is first opened (one chunk per area: patient, doctor,
 * reception, admin), so signing in does not download every screen of every role.
 */
import { lazy, type ComponentType } from "react";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a screen's props are whatever it declares
export function lazyScreen<M, C extends ComponentType<any>>(load: () => Promise<M>, pick: (module: M) => C) {
  return lazy(async () => ({ default: pick(await load()) }));
}
