/**
 * Engine and URI errors as vscode.FileSystemError, keeping the engine's message (the SPEC
 * wording) so the editor shows it, e.g. when a save fails.
 */
import * as vscode from 'vscode';
import { LabUriError } from './uri';

type FsErrorFactory = (message: string) => vscode.FileSystemError;

const BY_CODE: Record<string, FsErrorFactory> = {
  GuestPathNotFound: vscode.FileSystemError.FileNotFound,
  GuestRunMissing: vscode.FileSystemError.FileNotFound,
  VmNotFound: vscode.FileSystemError.FileNotFound,
  CheckpointNotFound: vscode.FileSystemError.FileNotFound,
  StoreNotKnown: vscode.FileSystemError.Unavailable,
  GuestPathExists: vscode.FileSystemError.FileExists,
  GuestIsADirectory: vscode.FileSystemError.FileIsADirectory,
  GuestNotADirectory: vscode.FileSystemError.FileNotADirectory,
  // Who may write (SPEC "The guest"): checkpoints never; Saved or Paused VMs not now.
  GuestReadOnly: vscode.FileSystemError.NoPermissions,
  GuestStateForbidsWrite: vscode.FileSystemError.NoPermissions,
  GuestServicesDisabled: vscode.FileSystemError.NoPermissions,
  GuestPathInvalid: vscode.FileSystemError.NoPermissions,
  GuestDirectoryNotEmpty: vscode.FileSystemError.NoPermissions,
  ReadOnlyLocation: vscode.FileSystemError.NoPermissions,
  // Everything else that stops an operation for now: busy store, damaged files, no space.
  GuestNoSpace: vscode.FileSystemError.Unavailable,
  StoreBusy: vscode.FileSystemError.Unavailable,
  LabClosed: vscode.FileSystemError.Unavailable,
  ItemMissing: vscode.FileSystemError.Unavailable,
};

function codeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Any failure of a provider call as a FileSystemError with a readable message. */
export function toFileSystemError(error: unknown): vscode.FileSystemError {
  if (error instanceof vscode.FileSystemError) return error;
  if (error instanceof LabUriError) {
    return error.reason === 'notFound' ? vscode.FileSystemError.FileNotFound(error.message) : vscode.FileSystemError.NoPermissions(error.message);
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = codeOf(error);
  const factory = (code && BY_CODE[code]) || vscode.FileSystemError.Unavailable;
  return factory(message);
}

/** A LabError-shaped error for conditions the provider itself detects. */
export class FsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FsError';
  }
}
