/**
 * What every command shares: the store (--store, else $CHECKPOINT_LAB_STORE, else
 * ./.checkpoint-lab), the lab opened lazily (usage errors never touch the store), and the
 * three streams. Results go to stdout; notices (R9's fallback text, "checkpoint taken first")
 * go to stderr, so `--json` output stays parseable. Nothing here prompts.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { Lab } from '../engine';
import { UsageError } from './errors';
import { toJsonText } from './output';

export const DEFAULT_STORE = '.checkpoint-lab';
export const STORE_ENV = 'CHECKPOINT_LAB_STORE';

export interface CliStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface CliEnvironment extends CliStreams {
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export class Cli {
  /** Set by a command that succeeded in running but has a failing result (test-vmstore with problems). */
  exitCode = 0;
  private opened: Promise<Lab> | undefined;
  private program: Command | undefined;

  constructor(readonly environment: CliEnvironment) {}

  attach(program: Command): void {
    this.program = program;
  }

  /** The store folder, absolute. */
  get storeRoot(): string {
    const fromOption = this.program?.opts<{ store?: string }>().store;
    const fromEnv = this.environment.env[STORE_ENV];
    const chosen = fromOption !== undefined && fromOption !== '' ? fromOption : fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_STORE;
    return path.resolve(this.environment.cwd, chosen);
  }

  /** Opens the store on first use (after every option has parsed). */
  lab(): Promise<Lab> {
    this.opened ??= Lab.open(this.storeRoot);
    return this.opened;
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = undefined;
    if (!opened) return;
    let lab: Lab;
    try {
      lab = await opened;
    } catch {
      return; // opening failed; its error is already being reported
    }
    await lab.close();
  }

  /** A host path as the user typed it, relative to the working directory. */
  hostPath(text: string): string {
    return path.resolve(this.environment.cwd, text);
  }

  write(text: string | Uint8Array): void {
    if (text.length > 0) this.environment.stdout.write(text);
  }

  json(value: unknown): void {
    this.write(toJsonText(value));
  }

  /** Notices and warnings: stderr, never stdout. */
  notice(text: string | undefined): void {
    if (text) this.environment.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** stdin's bytes, unchanged. Refuses a terminal: the CLI never waits for typing. */
  async readStdin(what: string): Promise<Buffer> {
    const stdin = this.environment.stdin;
    if (stdin.isTTY) throw new UsageError(`${what} reads the content from standard input; redirect or pipe it (for example: < file).`);
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  }
}
