import { strict as assert } from 'node:assert';
import { CHECKPOINT_TYPES, type CheckpointType } from '../../../src/engine/model';
import {
  checkpointTypeFromControls,
  controlsFromCheckpointType,
  DEFAULT_RADIOS,
  rememberRadios,
} from '../../../src/webview/checkpointControls';
import type { CheckpointControls, CheckpointKind } from '../../../src/webview/protocol';

describe('Settings page: checkpoint controls <-> CheckpointType (SPEC section 5)', () => {
  it('maps the controls to the four types as the SPEC says', () => {
    const cases: Array<[CheckpointControls, CheckpointType]> = [
      [{ enabled: false, kind: 'Production', fallbackToStandard: true }, 'Disabled'],
      [{ enabled: false, kind: 'Production', fallbackToStandard: false }, 'Disabled'],
      [{ enabled: false, kind: 'Standard', fallbackToStandard: true }, 'Disabled'],
      [{ enabled: false, kind: 'Standard', fallbackToStandard: false }, 'Disabled'],
      [{ enabled: true, kind: 'Production', fallbackToStandard: true }, 'Production'],
      [{ enabled: true, kind: 'Production', fallbackToStandard: false }, 'ProductionOnly'],
      [{ enabled: true, kind: 'Standard', fallbackToStandard: true }, 'Standard'],
      [{ enabled: true, kind: 'Standard', fallbackToStandard: false }, 'Standard'],
    ];
    for (const [controls, type] of cases) assert.equal(checkpointTypeFromControls(controls), type, JSON.stringify(controls));
  });

  it('maps each type to controls that map back to it, whatever was remembered', () => {
    const remembered: Array<{ kind: CheckpointKind; fallbackToStandard: boolean }> = [
      { kind: 'Production', fallbackToStandard: true },
      { kind: 'Production', fallbackToStandard: false },
      { kind: 'Standard', fallbackToStandard: true },
      { kind: 'Standard', fallbackToStandard: false },
    ];
    for (const type of CHECKPOINT_TYPES) {
      for (const radios of remembered) {
        assert.equal(checkpointTypeFromControls(controlsFromCheckpointType(type, radios)), type, `${type} with ${JSON.stringify(radios)}`);
      }
    }
  });

  it('shows Production, ProductionOnly and Standard with the radios and fallback box Hyper-V Manager shows', () => {
    assert.deepEqual(controlsFromCheckpointType('Production'), { enabled: true, kind: 'Production', fallbackToStandard: true });
    assert.deepEqual(controlsFromCheckpointType('ProductionOnly'), { enabled: true, kind: 'Production', fallbackToStandard: false });
    assert.equal(controlsFromCheckpointType('Standard').kind, 'Standard');
    assert.equal(controlsFromCheckpointType('Standard').enabled, true);
  });

  it('Disabled shows the radios as they were last time (default: Production with fallback)', () => {
    assert.deepEqual(controlsFromCheckpointType('Disabled'), { enabled: false, ...DEFAULT_RADIOS });
    assert.deepEqual(controlsFromCheckpointType('Disabled', { kind: 'Standard', fallbackToStandard: false }), {
      enabled: false,
      kind: 'Standard',
      fallbackToStandard: false,
    });
  });

  it('remembers the radios of each enabled type; Disabled keeps what was remembered', () => {
    const standard = rememberRadios('Standard', { kind: 'Production', fallbackToStandard: false });
    assert.deepEqual(standard, { kind: 'Standard', fallbackToStandard: false });
    assert.deepEqual(rememberRadios('ProductionOnly', standard), { kind: 'Production', fallbackToStandard: false });
    assert.deepEqual(rememberRadios('Production', standard), { kind: 'Production', fallbackToStandard: true });
    assert.deepEqual(rememberRadios('Disabled', standard), standard);
    // Standard -> Disabled -> (page shows) Standard again
    assert.equal(controlsFromCheckpointType('Disabled', rememberRadios('Standard')).kind, 'Standard');
  });
});
