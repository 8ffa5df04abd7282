/** Entitlements: the single download-permission decision, and grants. */
export { canDownload, vectorAccess, decide, type AllowReason, type DenyReason, type DownloadDecision, type VectorAccess } from "./access";
export {
  grantEntitlement,
  revokeEntitlement,
  listEntitlements,
  createEntitlement,
  type EntitlementInfo,
  type EntitlementSource,
} from "./grants";
