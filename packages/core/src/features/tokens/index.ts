/** API tokens for the CLI and scripts. */
export {
  createApiToken,
  listApiTokens,
  revokeApiToken,
  authenticateApiToken,
  actorFromToken,
  TOKEN_PREFIX,
  type ApiTokenRecord,
  type TokenAuth,
} from "./tokens";
