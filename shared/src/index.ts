export * from "./problem";
export * from "./health";
export * from "./realtime";
export * from "./identity";
export * from "./directory";
export * from "./audit";
export * from "./directory-api";
export * from "./scheduling";
