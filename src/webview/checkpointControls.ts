/**
 * SPEC section 5: the Checkpoints page's controls and the VM's CheckpointType, both ways.
 *   "Enable checkpoints" unchecked          -> Disabled
 *   Production + "Create standard ... if"   -> Production
 *   Production without it                   -> ProductionOnly
 *   Standard                                -> Standard
 * Disabled says nothing about the radios, so the page shows what they were the last time
 * (remembered per VM by the host); Standard says nothing about the fallback box, likewise.
 */
import type { CheckpointType } from '../engine/model';
import type { CheckpointControls, CheckpointKind } from './protocol';

/** The radios of a VM never seen with checkpoints enabled: Hyper-V's default, Production with fallback. */
export const DEFAULT_RADIOS: Readonly<Pick<CheckpointControls, 'kind' | 'fallbackToStandard'>> = { kind: 'Production', fallbackToStandard: true };

export function checkpointTypeFromControls(controls: CheckpointControls): CheckpointType {
  if (!controls.enabled) return 'Disabled';
  if (controls.kind === 'Standard') return 'Standard';
  return controls.fallbackToStandard ? 'Production' : 'ProductionOnly';
}

/**
 * The controls that show `type`. `remembered` is what the radios (and the fallback box)
 * said last time; it decides what Disabled shows, and the fallback box under Standard.
 */
export function controlsFromCheckpointType(
  type: CheckpointType,
  remembered: Pick<CheckpointControls, 'kind' | 'fallbackToStandard'> = DEFAULT_RADIOS,
): CheckpointControls {
  switch (type) {
    case 'Disabled':
      return { enabled: false, kind: remembered.kind, fallbackToStandard: remembered.fallbackToStandard };
    case 'Production':
      return { enabled: true, kind: 'Production', fallbackToStandard: true };
    case 'ProductionOnly':
      return { enabled: true, kind: 'Production', fallbackToStandard: false };
    case 'Standard':
      return { enabled: true, kind: 'Standard', fallbackToStandard: remembered.fallbackToStandard };
  }
}

/** What to remember of controls for the next time the type alone cannot tell. */
export function radiosOf(controls: CheckpointControls): { kind: CheckpointKind; fallbackToStandard: boolean } {
  return { kind: controls.kind, fallbackToStandard: controls.fallbackToStandard };
}

/** The radios to remember after the VM was seen with `type` (Disabled keeps what was remembered). */
export function rememberRadios(
  type: CheckpointType,
  remembered: Pick<CheckpointControls, 'kind' | 'fallbackToStandard'> = DEFAULT_RADIOS,
): { kind: CheckpointKind; fallbackToStandard: boolean } {
  return type === 'Disabled' ? radiosOf({ enabled: false, ...remembered }) : radiosOf(controlsFromCheckpointType(type, remembered));
}
