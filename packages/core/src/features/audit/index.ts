/** Audit trail: recording inside transactions, reading per team. */
export { recordAudit, listAudit, type AuditAction, type AuditInput, type AuditEntry } from "./audit";
