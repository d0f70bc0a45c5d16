/**
 * The one way the engine loads the guest layer (ext4 through libext2fs in WebAssembly).
 *
 * Lazy, because listings must not pay for the WebAssembly file system. Guarded, because
 * the emscripten module registers process.on('uncaughtException') and
 * ('unhandledRejection') handlers that rethrow: inside the VS Code extension host they
 * would turn any unrelated unhandled rejection into a crash. We record the listeners
 * before requiring it and remove the ones it added.
 */
import type * as GuestModule from './guest';

export type Guest = typeof GuestModule;

let loaded: Guest | undefined;
let templateDirectory: string | undefined;

const GUARDED_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

export function loadGuest(): Guest {
  if (loaded) return loaded;
  const before = new Map(GUARDED_EVENTS.map((event) => [event, new Set(process.listeners(event as 'uncaughtException'))]));
  try {
    loaded = require('./guest') as Guest;
  } finally {
    for (const event of GUARDED_EVENTS) {
      const had = before.get(event)!;
      for (const listener of process.listeners(event as 'uncaughtException')) {
        if (!had.has(listener)) process.removeListener(event, listener);
      }
    }
  }
  if (templateDirectory) loaded.setTemplateDirectory(templateDirectory);
  return loaded;
}

/** True once the guest layer has been loaded in this process (tests check listings stay light). */
export function guestLoaded(): boolean {
  return loaded !== undefined;
}

export function setGuestTemplateDirectory(dir: string): void {
  templateDirectory = dir;
  if (loaded) loaded.setTemplateDirectory(dir);
}
