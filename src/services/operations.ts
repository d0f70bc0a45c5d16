/**
 * Runs user operations: logs each one with its duration in the "Checkpoint Lab" output
 * channel, shows progress (cancellable for long work), and turns failures into the
 * engine's SPEC message shown to the user. Nothing escapes as an unhandled error.
 */
import * as vscode from 'vscode';
import type { Prompter } from './prompter';

export interface ProgressHooks {
  /** Aborted when the user cancels a cancellable operation. */
  signal: AbortSignal;
  /** For the engine's ProgressOptions.onProgress. */
  onProgress: (doneBytes: number, totalBytes: number) => void;
  /** A step message for multi-step work. */
  step: (message: string) => void;
}

export interface RunOptions {
  /**
   * 'notification': a progress notification (long work: merges, exports, imports);
   * 'window': the status bar spinner (quick work). Default 'window'.
   */
  progress?: 'notification' | 'window';
  cancellable?: boolean;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined;
}

export function isCancellation(error: unknown): boolean {
  return errorCode(error) === 'Cancelled' || (error instanceof Error && error.name === 'AbortError');
}

export class Operations {
  private readonly logged = new WeakSet<object>();
  /** The last operation lines logged (the output channel's text is not readable through the API). */
  readonly history: string[] = [];

  constructor(
    readonly log: vscode.LogOutputChannel,
    private readonly prompter: () => Prompter,
  ) {}

  /** Runs fn as one logged operation; rethrows its error (see report()). */
  async run<T>(label: string, fn: (hooks: ProgressHooks) => Promise<T>, options: RunOptions = {}): Promise<T> {
    const started = performance.now();
    this.log.info(`${label}...`);
    try {
      const result = await vscode.window.withProgress(
        {
          location: options.progress === 'notification' ? vscode.ProgressLocation.Notification : vscode.ProgressLocation.Window,
          title: label,
          cancellable: options.cancellable === true && options.progress === 'notification',
        },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let lastPercent = 0;
          return fn({
            signal: abort.signal,
            onProgress: (done, total) => {
              if (total <= 0) return;
              const percent = Math.min(100, Math.floor((done / total) * 100));
              if (percent > lastPercent) {
                progress.report({ increment: percent - lastPercent, message: `${percent}%` });
                lastPercent = percent;
              }
            },
            step: (message) => progress.report({ message }),
          });
        },
      );
      this.remember(`${label}: done in ${Math.round(performance.now() - started)} ms`, 'info');
      return result;
    } catch (error) {
      const elapsed = Math.round(performance.now() - started);
      if (isCancellation(error)) this.remember(`${label}: cancelled after ${elapsed} ms`, 'warn');
      else this.remember(`${label}: failed after ${elapsed} ms: ${errorMessage(error)}`, 'error');
      if (typeof error === 'object' && error !== null) this.logged.add(error);
      throw error;
    }
  }

  private remember(line: string, level: 'info' | 'warn' | 'error'): void {
    this.log[level](line);
    this.history.push(line);
    if (this.history.length > 200) this.history.shift();
  }

  /** True when run() already logged this error. */
  wasLogged(error: unknown): boolean {
    return typeof error === 'object' && error !== null && this.logged.has(error);
  }

  /** Shows a failure to the user: the engine's message as it is; a cancellation quietly. */
  report(error: unknown): void {
    if (isCancellation(error)) {
      this.prompter().info('The operation was cancelled.');
      return;
    }
    this.prompter().error(errorMessage(error));
  }
}
