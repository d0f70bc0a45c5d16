// @ts-check
/**
 * The Settings page's own checks, so an invalid value is shown next to its field and never
 * sent. The host checks every message again (src/webview/validation.ts, same words);
 * test/unit/webview/pageRules.test.ts runs both on the same inputs so they stay in step.
 * Plain script: in the page it sets globalThis.CheckpointLabRules; in Node, module.exports.
 */
(function (root) {
  /** @typedef {import('../../src/webview/protocol').CheckpointControls} CheckpointControls */
  /** @typedef {import('../../src/webview/protocol').SettingsField} SettingsField */

  const LIMITS = { nameMaxLength: 100, notesMaxLength: 65536, pathMaxLength: 4096, memoryMinMiB: 32, memoryMaxMiB: 65536 };

  const messages = {
    nameLength: 'The name must be between 1 and 100 characters.',
    nameControl: 'The name must not contain control characters.',
    notesLength: `Notes must be at most ${LIMITS.notesMaxLength} characters.`,
    locationEmpty: 'Enter the folder for checkpoint files.',
    locationRelative: 'The checkpoint file location must be an absolute folder path.',
    locationTooLong: `The checkpoint file location must be at most ${LIMITS.pathMaxLength} characters.`,
    locationNul: 'The checkpoint file location must not contain NUL characters.',
    memoryNumber: 'Startup RAM must be a whole number of MB.',
    memoryRange: `Startup RAM must be between ${LIMITS.memoryMinMiB} MB and ${LIMITS.memoryMaxMiB} MB.`,
  };

  /**
   * As Node's path.isAbsolute on the machine the lab runs on.
   * @param {string} text
   * @param {'posix' | 'win32'} platform
   */
  function isAbsolutePath(text, platform) {
    if (platform === 'win32') return /^([a-zA-Z]:)?[\\/]/.test(text);
    return text.startsWith('/');
  }

  /**
   * The message for an invalid value, or undefined when it may be sent.
   * @param {SettingsField} field
   * @param {unknown} value
   * @param {'posix' | 'win32'} platform
   * @returns {string | undefined}
   */
  function fieldProblem(field, value, platform) {
    switch (field) {
      case 'name': {
        const trimmed = String(value).trim();
        if (trimmed.length < 1 || trimmed.length > LIMITS.nameMaxLength) return messages.nameLength;
        // eslint-disable-next-line no-control-regex
        if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) return messages.nameControl;
        return undefined;
      }
      case 'notes':
        return String(value).length > LIMITS.notesMaxLength ? messages.notesLength : undefined;
      case 'snapshotFileLocation': {
        const text = String(value);
        if (text.trim() === '') return messages.locationEmpty;
        if (text.length > LIMITS.pathMaxLength) return messages.locationTooLong;
        if (text.includes('\0')) return messages.locationNul;
        if (!isAbsolutePath(text.trim(), platform)) return messages.locationRelative;
        return undefined;
      }
      case 'memoryMiB':
        if (typeof value !== 'number' || !Number.isInteger(value)) return messages.memoryNumber;
        if (value < LIMITS.memoryMinMiB || value > LIMITS.memoryMaxMiB) return messages.memoryRange;
        return undefined;
      default:
        return undefined;
    }
  }

  /**
   * SPEC section 5: unchecked = Disabled; Production + fallback = Production; Production
   * without = ProductionOnly; Standard = Standard (the host maps the same way).
   * @param {CheckpointControls} controls
   */
  function checkpointTypeOf(controls) {
    if (!controls.enabled) return 'Disabled';
    if (controls.kind === 'Standard') return 'Standard';
    return controls.fallbackToStandard ? 'Production' : 'ProductionOnly';
  }

  const api = { LIMITS, messages, fieldProblem, checkpointTypeOf, isAbsolutePath };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else /** @type {any} */ (root).CheckpointLabRules = api;
})(typeof globalThis !== 'undefined' ? globalThis : this);
