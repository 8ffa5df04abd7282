/** Identity: users, passwords and OAuth sign-in. */
export { registerUser, verifyCredentials, upsertOAuthUser, getUser, type PublicUser } from "./users";
