/**
 * The commander program and the exit-code contract of SPEC section 6:
 * 0 success; 1 the operation failed (the engine's message on stderr); 2 bad usage (unknown
 * command or option, missing required option, a value that does not parse). commander
 * exits 1 on usage errors by itself, so it runs with exitOverride and its errors become 2.
 */
import { Command, CommanderError } from 'commander';
import { isLabError } from '../engine';
import { Cli } from './cli';
import type { CliEnvironment } from './cli';
import { registerCommands } from './commands';
import { CliFailure, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './errors';
import { version } from '../../package.json';

export function createProgram(cli: Cli): Command {
  const { stdout, stderr } = cli.environment;
  const program = new Command('checkpoint-lab')
    .usage('[--store DIR] <command> [options]')
    .description('Drive a Checkpoint Lab store with PowerShell-style verbs (Hyper-V VMs and checkpoints).')
    .option('--store <dir>', 'the lab store (default: $CHECKPOINT_LAB_STORE, else ./.checkpoint-lab)')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help (every command has its own --help)')
    .helpCommand('help [command]', 'show help for a command')
    // Inherited by every command created below.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      writeErr: (text) => stderr.write(text),
      // One line per command in --help when piped (commander's default is 80 columns).
      getOutHelpWidth: () => columnsOf(stdout),
      getErrHelpWidth: () => columnsOf(stderr),
    })
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true);
  cli.attach(program);
  registerCommands(program, cli);
  return program;
}

/** Runs one command line (without `node` and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], environment: CliEnvironment): Promise<number> {
  const cli = new Cli(environment);
  const program = createProgram(cli);
  const { stderr } = environment;
  let code: number;
  try {
    if (argv.length === 0) {
      // No command: show help on stderr and report bad usage (commander would exit 1).
      program.outputHelp({ error: true });
      return EXIT_USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    code = cli.exitCode;
  } catch (error) {
    code = report(error, stderr, environment.env);
  } finally {
    try {
      await cli.close();
    } catch (error) {
      // the operation committed before close; still say what went wrong
      stderr.write(`${messageOf(error)}\n`);
    }
  }
  return code;
}

function report(error: unknown, stderr: NodeJS.WritableStream, env: NodeJS.ProcessEnv): number {
  if (error instanceof CommanderError) {
    // commander has already written its message (and help) to stderr.
    return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  if (error instanceof UsageError) {
    stderr.write(`error: ${error.message}\n(run with --help for usage)\n`);
    return EXIT_USAGE;
  }
  if (isLabError(error) || error instanceof CliFailure) {
    stderr.write(`${error.message}\n`);
    return EXIT_FAILED;
  }
  // Not a typed error: still one clear line, the stack only on request.
  stderr.write(`${messageOf(error)}\n`);
  if (env.CHECKPOINT_LAB_DEBUG && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  return EXIT_FAILED;
}

function columnsOf(stream: NodeJS.WritableStream): number {
  const columns = (stream as { columns?: number }).columns;
  return typeof columns === 'number' && columns > 0 ? columns : 160;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
