// Runs once when the server starts: validates the environment so that a bad
// setting stops start-up with a clear list of problems instead of failing on
// the first request.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getEnv, EnvError } = await import("./env");
  try {
    getEnv();
  } catch (e) {
    if (e instanceof EnvError) {
      console.error(`[graft] ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}
