/**
 * `graft`: extract, inspect, compare and compose task vectors, and talk to a
 * Graft registry. Every failure prints one line on stderr and exits non-zero.
 */
import { Command, CommanderError } from "commander";
import { registerLocalCommands } from "./commands/local";
import { registerRegistryCommands } from "./commands/registry";
import { registerEquipCommand } from "./commands/equip";
import { describeError } from "./errors";

// `pnpm graft …` runs from the repo root; resolve paths from where the user typed it.
if (process.env.npm_lifecycle_event === "graft" && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

const program = new Command()
  .name("graft")
  .description("Task-vector arithmetic on safetensors checkpoints, and the Graft registry client")
  .exitOverride()
  // Usage errors too are one line on stderr (`graft <command> --help` shows usage).
  .configureOutput({ outputError: (text, write) => write(`graft: ${text.replace(/^error: /, "").trim()}\n`) });

registerLocalCommands(program);
registerRegistryCommands(program);
registerEquipCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed its message (help, version, usage error)
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`graft: ${describeError(e)}\n`);
    process.exitCode = 1;
  }
}
