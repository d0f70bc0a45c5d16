/**
 * Starts the development-time VS Code (code-server 4.100.3, installed by
 * scripts/setup-vscode-server.mjs) on 127.0.0.1 for integration and UI tests and
 * for `npm start`. Everything it writes goes into a fresh temporary folder unless
 * the caller names one.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const projectRoot = resolve(__dirname, '..', '..');
export const codeServerEntry = join(projectRoot, 'tools', 'vscode-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');

export interface VsCodeServerOptions {
  /** Folder opened in the workbench. */
  workspace: string;
  /** Where user data goes (settings, workspace storage); a temporary folder by default. */
  userDataDir?: string;
  /** Installed extensions; an empty temporary folder by default. */
  extensionsDir?: string;
  /** User settings written before start. */
  settings?: Record<string, unknown>;
  /** Extra environment for the server and its extension host. */
  env?: Record<string, string>;
  /** Called with every line the server prints (for logs). */
  onOutput?: (line: string) => void;
  port?: number;
}

export interface VsCodeServer {
  readonly port: number;
  readonly origin: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  /** Workbench URL for the workspace, optionally carrying a test payload. */
  workbenchUrl(payload?: Array<[string, string]>): string;
  /** vscode-remote URI path for a local absolute path (used in payloads). */
  remotePath(absolutePath: string): string;
  stop(): Promise<void>;
}

export function assertVsCodeServerInstalled(): void {
  if (!existsSync(codeServerEntry)) {
    throw new Error(
      `The development VS Code is not set up (${codeServerEntry} is missing). Run: node scripts/setup-vscode-server.mjs --strict`,
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForHealthy(origin: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited early with code ${child.exitCode}`);
    try {
      const response = await fetch(`${origin}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`code-server did not answer on ${origin} within ${timeoutMs} ms`);
}

export async function startVsCodeServer(options: VsCodeServerOptions): Promise<VsCodeServer> {
  assertVsCodeServerInstalled();
  const scratch = mkdtempSync(join(tmpdir(), 'checkpoint-lab-vscode-'));
  const userDataDir = options.userDataDir ?? join(scratch, 'user-data');
  const extensionsDir = options.extensionsDir ?? join(scratch, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(
    join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'security.workspace.trust.enabled': false,
        'extensions.autoUpdate': false,
        'extensions.autoCheckUpdates': false,
        'update.mode': 'none',
        'telemetry.telemetryLevel': 'off',
        'workbench.enableExperiments': false,
        'chat.commandCenter.enabled': false,
        ...options.settings,
      },
      null,
      2,
    ),
  );
  const port = options.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      codeServerEntry,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--user-data-dir', userDataDir,
      '--extensions-dir', extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      options.workspace,
    ],
    {
      env: { ...process.env, ...options.env, CS_DISABLE_FILE_DOWNLOADS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) options.onOutput?.(line);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  try {
    await waitForHealthy(origin, child, 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  const remotePath = (absolutePath: string) => `vscode-remote://127.0.0.1:${port}${absolutePath}`;
  return {
    port,
    origin,
    userDataDir,
    extensionsDir,
    remotePath,
    workbenchUrl(payload) {
      let url = `${origin}/?folder=${encodeURIComponent(options.workspace)}`;
      if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return url;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
