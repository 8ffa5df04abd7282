/** @graft/core: Graft's domain services, grouped by capability. Knows nothing about HTTP. */
export type { CoreContext, CoreConfig, Actor, Scope, DbClient } from "./context";
export { SCOPES } from "./context";
export { DomainError, toDomainError, isDomainError, HTTP_STATUS, type DomainErrorCode } from "./errors";
export { hasScope } from "./lib/auth";
export { compareSemver, isSemver, parseSemver } from "./lib/semver";
export * from "./features/identity";
export * from "./features/tokens";
export * from "./features/teams";
export * from "./features/foundations";
export * from "./features/vectors";
export * from "./features/catalog";
export * from "./features/entitlements";
export * from "./features/downloads";
export * from "./features/audit";
export * from "./features/equip";
