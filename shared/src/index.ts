export * from "./problem";
export * from "./health";
export * from "./realtime";
