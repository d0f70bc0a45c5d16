// @ts-check
/**
 * The Settings page of one VM, modelled on Hyper-V Manager's Settings dialog (Name,
 * Checkpoints, Integration Services, Memory; OK, Cancel, Apply). It talks to the host only
 * through the messages of src/webview/protocol.ts and sends only the fields the user
 * edited, after checking them (rules.js); the host checks them again. When the VM changes
 * elsewhere, fields the user did not touch follow; edited ones keep the user's value and
 * a notice says what changed. vscode.setState keeps unsaved edits across reloads.
 */
(function () {
  /** @typedef {import('../../src/webview/protocol').HostMessage} HostMessage */
  /** @typedef {import('../../src/webview/protocol').PageMessage} PageMessage */
  /** @typedef {import('../../src/webview/protocol').PageState} PageState */
  /** @typedef {import('../../src/webview/protocol').SettingsForm} SettingsForm */
  /** @typedef {import('../../src/webview/protocol').SettingsField} SettingsField */
  /** @typedef {import('../../src/webview/protocol').SettingsChanges} SettingsChanges */
  /** @typedef {import('../../src/webview/protocol').VmView} VmView */
  /** @typedef {import('../../src/webview/protocol').FieldErrors} FieldErrors */

  // @ts-expect-error provided by the webview host
  const vscode = acquireVsCodeApi();
  /** @type {{ fieldProblem(field: SettingsField, value: unknown, platform: 'posix' | 'win32'): string | undefined; checkpointTypeOf(c: SettingsForm['checkpoints']): string }} */
  const rules = /** @type {any} */ (globalThis).CheckpointLabRules;

  /** @type {SettingsField[]} */
  const FIELDS = ['checkpoints', 'snapshotFileLocation', 'automaticCheckpoints', 'name', 'notes', 'shutdown', 'backup', 'guestServices', 'memoryMiB'];
  /** @type {Record<SettingsField, string>} */
  const FIELD_LABELS = {
    name: 'Name',
    notes: 'Notes',
    checkpoints: 'Checkpoint type',
    snapshotFileLocation: 'Checkpoint File Location',
    automaticCheckpoints: 'Use automatic checkpoints',
    backup: 'Backup (volume shadow copy)',
    shutdown: 'Operating system shutdown',
    guestServices: 'Guest services',
    memoryMiB: 'Startup RAM',
  };

  const app = /** @type {HTMLElement} */ (document.getElementById('app'));

  /** @type {PageState} */
  const saved = vscode.getState() || {};
  const state = {
    vmId: saved.vmId || document.body.dataset.vmId || '',
    /** @type {SettingsForm | undefined} what the host last said */
    base: saved.base,
    /** @type {SettingsForm | undefined} what the controls hold */
    form: saved.form,
    /** @type {VmView | undefined} */
    vm: undefined,
    gone: false,
    /** @type {number | undefined} the apply/OK waiting for its answer */
    pendingApply: undefined,
    /** @type {number | undefined} */
    pendingBrowse: undefined,
    nextRequestId: 1,
    /** @type {FieldErrors} refused by the host or the engine (cleared when the field is edited) */
    serverErrors: {},
  };

  /** @param {PageMessage} message */
  const send = (message) => vscode.postMessage(message);
  const persist = () => vscode.setState(/** @type {PageState} */ ({ vmId: state.vmId, base: state.base, form: state.form }));

  /** @param {unknown} a @param {unknown} b */
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  /** @param {SettingsForm} form */
  const copy = (form) => /** @type {SettingsForm} */ (JSON.parse(JSON.stringify(form)));

  // ------------------------------------------------------------------ the page's controls

  app.innerHTML = `
<header class="page-header">
  <h1 id="title">Settings</h1>
  <p id="summary" class="summary"></p>
</header>
<div id="notice" class="banner notice" role="status" hidden>
  <span id="notice-text"></span>
  <button type="button" id="reload" class="link-button" hidden>Discard my edits and reload</button>
</div>
<div id="error" class="banner error" role="alert" hidden></div>
<div class="sections" id="sections">
  <section class="checkpoints" aria-labelledby="h-checkpoints">
    <h2 id="h-checkpoints">Checkpoints</h2>
    <p class="hint">You can use checkpoints to go back to a previous state of a virtual machine.</p>
    <div class="check">
      <input type="checkbox" id="cp-enabled" aria-describedby="cp-type">
      <label for="cp-enabled">Enable checkpoints</label>
    </div>
    <fieldset id="cp-options" class="indent">
      <legend>Choose the type of checkpoints</legend>
      <div class="check">
        <input type="radio" name="cp-kind" id="cp-production" value="Production">
        <label for="cp-production">Production checkpoints</label>
      </div>
      <div class="indent">
        <div class="check">
          <input type="checkbox" id="cp-fallback">
          <label for="cp-fallback">Create standard checkpoints if it's not possible to create a production checkpoint</label>
        </div>
        <p class="hint">Production checkpoints use backup technology in the guest to create data-consistent checkpoints that won't include information about running applications.</p>
      </div>
      <div class="check">
        <input type="radio" name="cp-kind" id="cp-standard" value="Standard">
        <label for="cp-standard">Standard checkpoints</label>
      </div>
      <div class="indent">
        <p class="hint">Standard checkpoints capture the state, data, and hardware configuration of a running virtual machine and are intended for development and test scenarios.</p>
      </div>
      <p class="hint">Checkpoint type: <strong id="cp-type"></strong></p>
      <p id="checkpoints-error" class="field-error" hidden></p>
    </fieldset>
    <div class="field">
      <label for="location">Checkpoint File Location</label>
      <p class="hint" id="location-hint">Specify the folder for storing checkpoint files for this virtual machine.</p>
      <div class="row">
        <input type="text" id="location" spellcheck="false" autocomplete="off" aria-describedby="location-hint location-reason snapshotFileLocation-error">
        <button type="button" id="browse" class="secondary">Browse...</button>
      </div>
      <p id="location-reason" class="reason" hidden></p>
      <p id="snapshotFileLocation-error" class="field-error" hidden></p>
    </div>
    <div class="check">
      <input type="checkbox" id="automatic" aria-describedby="automatic-hint">
      <label for="automatic">Use automatic checkpoints</label>
    </div>
    <p class="hint indent" id="automatic-hint">Automatically create a checkpoint when the virtual machine starts (and remove it after a clean shut down).</p>
  </section>

  <section aria-labelledby="h-name">
    <h2 id="h-name">Name</h2>
    <p class="hint">You can edit the name of this virtual machine and add notes to it.</p>
    <div class="field">
      <label for="name">Name:</label>
      <input type="text" id="name" spellcheck="false" autocomplete="off" aria-describedby="name-error">
      <p id="name-error" class="field-error" hidden></p>
    </div>
    <div class="field">
      <label for="notes">Notes:</label>
      <textarea id="notes" rows="3" aria-describedby="notes-error"></textarea>
      <p id="notes-error" class="field-error" hidden></p>
    </div>
  </section>

  <section aria-labelledby="h-integration">
    <h2 id="h-integration">Integration Services</h2>
    <p class="hint">Select the services that you want the lab to offer to this virtual machine.</p>
    <div class="check">
      <input type="checkbox" id="is-shutdown" aria-describedby="is-shutdown-hint">
      <label for="is-shutdown">Operating system shutdown</label>
    </div>
    <p class="hint indent" id="is-shutdown-hint">Needed for a clean Shut Down.</p>
    <div class="check">
      <input type="checkbox" id="is-backup" aria-describedby="is-backup-hint">
      <label for="is-backup">Backup (volume shadow copy)</label>
    </div>
    <p class="hint indent" id="is-backup-hint">Needed for production checkpoints of a running virtual machine.</p>
    <div class="check">
      <input type="checkbox" id="is-guest" aria-describedby="is-guest-hint">
      <label for="is-guest">Guest services</label>
    </div>
    <p class="hint indent" id="is-guest-hint">Needed to copy files into a running virtual machine (copy-vmfile).</p>
  </section>

  <section aria-labelledby="h-memory">
    <h2 id="h-memory">Memory</h2>
    <div class="field">
      <label for="memory">Startup RAM (MB):</label>
      <input type="number" id="memory" min="32" max="65536" step="1" inputmode="numeric" aria-describedby="memory-reason memoryMiB-error">
      <p id="memory-reason" class="reason" hidden></p>
      <p id="memoryMiB-error" class="field-error" hidden></p>
    </div>
  </section>
</div>
<footer class="buttons">
  <button type="button" id="ok">OK</button>
  <button type="button" id="cancel" class="secondary">Cancel</button>
  <button type="button" id="apply" class="secondary">Apply</button>
</footer>`;
  app.removeAttribute('aria-busy');

  /** @param {string} id */
  const $ = (id) => /** @type {any} */ (document.getElementById(id));
  /** @type {HTMLInputElement} */ const nameInput = $('name');
  /** @type {HTMLTextAreaElement} */ const notesInput = $('notes');
  /** @type {HTMLInputElement} */ const enabledBox = $('cp-enabled');
  /** @type {HTMLInputElement} */ const productionRadio = $('cp-production');
  /** @type {HTMLInputElement} */ const standardRadio = $('cp-standard');
  /** @type {HTMLInputElement} */ const fallbackBox = $('cp-fallback');
  /** @type {HTMLFieldSetElement} */ const cpOptions = $('cp-options');
  /** @type {HTMLInputElement} */ const locationInput = $('location');
  /** @type {HTMLButtonElement} */ const browseButton = $('browse');
  /** @type {HTMLInputElement} */ const automaticBox = $('automatic');
  /** @type {HTMLInputElement} */ const backupBox = $('is-backup');
  /** @type {HTMLInputElement} */ const shutdownBox = $('is-shutdown');
  /** @type {HTMLInputElement} */ const guestBox = $('is-guest');
  /** @type {HTMLInputElement} */ const memoryInput = $('memory');
  /** @type {HTMLButtonElement} */ const okButton = $('ok');
  /** @type {HTMLButtonElement} */ const cancelButton = $('cancel');
  /** @type {HTMLButtonElement} */ const applyButton = $('apply');

  // ------------------------------------------------------------------ form <-> controls

  /** @returns {SettingsForm} */
  function readControls() {
    const memory = memoryInput.value.trim() === '' ? NaN : Number(memoryInput.value);
    return {
      name: nameInput.value,
      notes: notesInput.value,
      checkpoints: { enabled: enabledBox.checked, kind: standardRadio.checked ? 'Standard' : 'Production', fallbackToStandard: fallbackBox.checked },
      snapshotFileLocation: locationInput.value,
      automaticCheckpoints: automaticBox.checked,
      backup: backupBox.checked,
      shutdown: shutdownBox.checked,
      guestServices: guestBox.checked,
      memoryMiB: memory,
    };
  }

  /** @param {SettingsForm} form */
  function writeControls(form) {
    nameInput.value = form.name;
    notesInput.value = form.notes;
    enabledBox.checked = form.checkpoints.enabled;
    productionRadio.checked = form.checkpoints.kind === 'Production';
    standardRadio.checked = form.checkpoints.kind === 'Standard';
    fallbackBox.checked = form.checkpoints.fallbackToStandard;
    locationInput.value = form.snapshotFileLocation;
    automaticBox.checked = form.automaticCheckpoints;
    backupBox.checked = form.backup;
    shutdownBox.checked = form.shutdown;
    guestBox.checked = form.guestServices;
    memoryInput.value = typeof form.memoryMiB === 'number' && Number.isFinite(form.memoryMiB) ? String(form.memoryMiB) : '';
  }

  /** @returns {SettingsField[]} */
  function dirtyFields() {
    if (!state.base || !state.form) return [];
    const base = state.base;
    const form = state.form;
    return FIELDS.filter((field) => !same(form[field], base[field]));
  }

  /** @returns {FieldErrors} */
  function localErrors() {
    /** @type {FieldErrors} */
    const errors = {};
    if (!state.form || !state.vm) return errors;
    for (const field of dirtyFields()) {
      const problem = rules.fieldProblem(field, state.form[field], state.vm.pathStyle);
      if (problem) errors[field] = problem;
    }
    return errors;
  }

  // ------------------------------------------------------------------ rendering

  /** @param {string} id @param {string | undefined} text */
  function showText(id, text) {
    const element = $(id);
    element.textContent = text || '';
    element.hidden = !text;
  }

  const inputOf = /** @type {Partial<Record<SettingsField, HTMLElement>>} */ ({
    name: nameInput,
    notes: notesInput,
    snapshotFileLocation: locationInput,
    memoryMiB: memoryInput,
    checkpoints: enabledBox,
  });

  function render() {
    const vm = state.vm;
    if (!vm || !state.form) return;
    const form = state.form;
    document.title = `Settings: ${vm.name}`;
    $('title').textContent = `Settings for ${vm.name}`;
    const gib = Math.round((vm.diskSizeBytes / 1024 ** 3) * 10) / 10;
    $('summary').textContent = `${vm.status === 'Missing' ? 'Missing' : vm.state} · Generation ${vm.generation} · ${vm.guestOs} · ${gib} GiB disk · ${vm.checkpointCount} checkpoint${vm.checkpointCount === 1 ? '' : 's'} · CheckpointType ${vm.checkpointType}`;

    const everything = Boolean(vm.locked.all) || state.gone;
    const busy = state.pendingApply !== undefined;
    for (const element of /** @type {NodeListOf<HTMLInputElement | HTMLTextAreaElement | HTMLButtonElement>} */ (document.querySelectorAll('#sections input, #sections textarea, #sections button'))) {
      element.disabled = everything || busy;
    }
    if (!everything && !busy) {
      cpOptions.disabled = !form.checkpoints.enabled;
      fallbackBox.disabled = !form.checkpoints.enabled || form.checkpoints.kind !== 'Production';
      const locationLocked = Boolean(vm.locked.snapshotFileLocation);
      locationInput.disabled = locationLocked;
      browseButton.disabled = locationLocked || state.pendingBrowse !== undefined;
      memoryInput.disabled = Boolean(vm.locked.memoryMiB);
    }
    showText('location-reason', vm.locked.snapshotFileLocation);
    showText('memory-reason', vm.locked.memoryMiB);
    $('cp-type').textContent = rules.checkpointTypeOf(form.checkpoints);

    const errors = { ...state.serverErrors, ...localErrors() };
    for (const field of FIELDS) {
      const errorElement = document.getElementById(`${field}-error`);
      if (errorElement) {
        errorElement.textContent = errors[field] || '';
        errorElement.hidden = !errors[field];
      }
      const input = inputOf[field];
      if (input) {
        if (errors[field]) input.setAttribute('aria-invalid', 'true');
        else input.removeAttribute('aria-invalid');
      }
    }
    const dirty = dirtyFields().length > 0;
    applyButton.disabled = everything || busy || !dirty;
    okButton.disabled = state.gone || busy;
    cancelButton.textContent = state.gone ? 'Close' : 'Cancel';
    $('reload').hidden = !dirty || state.gone;
    if (vm.locked.all) showText('error', vm.locked.all);
  }

  /** @param {string | undefined} text */
  function showNotice(text) {
    showText('notice-text', text);
    $('notice').hidden = !text;
  }

  // ------------------------------------------------------------------ messages from the host

  /**
   * The VM as it is now. Untouched fields follow it; edited fields keep the user's value.
   * @param {VmView} vm @param {SettingsForm} incoming @param {'open' | 'changed'} cause
   */
  function receiveVm(vm, incoming, cause) {
    const first = !state.vm;
    state.vm = vm;
    const base = state.base;
    const form = state.form;
    if (!base || !form || (first && cause === 'open' && same(base, form))) {
      state.base = copy(incoming);
      state.form = copy(incoming);
    } else {
      /** @type {SettingsField[]} */ const followed = [];
      /** @type {SettingsField[]} */ const kept = [];
      const nextForm = /** @type {any} */ (copy(form));
      for (const field of FIELDS) {
        if (same(base[field], incoming[field])) continue;
        if (same(form[field], base[field]) || same(form[field], incoming[field])) {
          nextForm[field] = incoming[field];
          followed.push(field);
        } else {
          kept.push(field);
        }
      }
      // a control that cannot change now shows the VM's value, not an edit that would be refused
      if (vm.locked.memoryMiB && !same(nextForm.memoryMiB, incoming.memoryMiB)) {
        nextForm.memoryMiB = incoming.memoryMiB;
        if (!kept.includes('memoryMiB') && !followed.includes('memoryMiB')) followed.push('memoryMiB');
      }
      if (vm.locked.snapshotFileLocation && !same(nextForm.snapshotFileLocation, incoming.snapshotFileLocation)) {
        nextForm.snapshotFileLocation = incoming.snapshotFileLocation;
      }
      state.base = copy(incoming);
      state.form = nextForm;
      const changed = [...followed, ...kept.filter((f) => !(vm.locked.memoryMiB && f === 'memoryMiB'))];
      if (changed.length > 0 && !first) {
        showNotice(
          kept.length > 0
            ? `'${vm.name}' was changed outside this page (${names(changed)}). Your edits of ${names(kept)} are kept; Apply replaces those values.`
            : `'${vm.name}' was changed outside this page (${names(changed)}); the page shows its current settings.`,
        );
      } else if (changed.length > 0 && first) {
        showNotice(`'${vm.name}' was changed since this page was last open (${names(changed)}). Your unsaved edits are kept.`);
      }
    }
    writeControls(/** @type {SettingsForm} */ (state.form));
    persist();
    render();
  }

  /** @param {SettingsField[]} fields */
  function names(fields) {
    return fields.map((f) => FIELD_LABELS[f]).join(', ');
  }

  window.addEventListener('message', (event) => {
    /** @type {HostMessage} */
    const message = event.data;
    if (!message || typeof message !== 'object') return;
    switch (message.type) {
      case 'vm':
        receiveVm(message.vm, message.form, message.cause);
        if (message.vm.locked.all === undefined && !state.gone) showText('error', undefined);
        return;
      case 'applied':
        if (message.requestId !== state.pendingApply) return;
        state.pendingApply = undefined;
        state.serverErrors = {};
        state.vm = message.vm;
        state.base = copy(message.form);
        state.form = copy(message.form);
        writeControls(state.form);
        persist();
        showText('error', undefined);
        showNotice(message.close ? undefined : 'The settings were applied.');
        render();
        return;
      case 'applyFailed': {
        if (message.requestId !== state.pendingApply) return;
        state.pendingApply = undefined;
        state.serverErrors = message.fieldErrors || {};
        showText('error', message.message);
        render();
        const first = FIELDS.find((f) => state.serverErrors[f]);
        const input = first && inputOf[first];
        if (input) input.focus();
        return;
      }
      case 'folderPicked':
        if (message.requestId !== state.pendingBrowse) return;
        state.pendingBrowse = undefined;
        if (message.path && state.form) {
          locationInput.value = message.path;
          onEdit();
        } else {
          render();
        }
        browseButton.focus();
        return;
      case 'vmGone':
        state.gone = true;
        state.pendingApply = undefined;
        showText('error', message.message);
        render();
        return;
      case 'rejected':
        showText('error', message.message);
        return;
    }
  });

  // ------------------------------------------------------------------ user actions

  function onEdit() {
    const before = state.form;
    state.form = readControls();
    // an edited field's server error no longer applies
    if (before) for (const field of FIELDS) if (!same(before[field], state.form[field])) delete state.serverErrors[field];
    persist();
    render();
  }

  for (const element of [nameInput, notesInput, locationInput, memoryInput]) element.addEventListener('input', onEdit);
  for (const element of [enabledBox, productionRadio, standardRadio, fallbackBox, automaticBox, backupBox, shutdownBox, guestBox]) element.addEventListener('change', onEdit);

  /** @param {boolean} close */
  function applyChanges(close) {
    if (!state.form || !state.vm || state.gone) return;
    const errors = localErrors();
    const invalid = FIELDS.filter((f) => errors[f]);
    if (invalid.length > 0) {
      // never sent: shown next to their fields
      showText('error', `Correct the highlighted values first: ${names(invalid)}.`);
      render();
      const input = inputOf[invalid[0]];
      if (input) input.focus();
      return;
    }
    const dirty = dirtyFields();
    if (dirty.length === 0) {
      if (close) send({ type: 'cancel' });
      return;
    }
    /** @type {any} */
    const changes = {};
    for (const field of dirty) changes[field] = state.form[field];
    if (typeof changes.name === 'string') changes.name = changes.name.trim();
    if (typeof changes.snapshotFileLocation === 'string') changes.snapshotFileLocation = changes.snapshotFileLocation.trim();
    const requestId = state.nextRequestId++;
    state.pendingApply = requestId;
    showText('error', undefined);
    render();
    send({ type: 'apply', requestId, changes: /** @type {SettingsChanges} */ (changes), close });
  }

  okButton.addEventListener('click', () => applyChanges(true));
  applyButton.addEventListener('click', () => applyChanges(false));
  cancelButton.addEventListener('click', () => send({ type: 'cancel' }));
  browseButton.addEventListener('click', () => {
    const requestId = state.nextRequestId++;
    state.pendingBrowse = requestId;
    render();
    send({ type: 'browse', requestId, current: locationInput.value });
  });
  $('reload').addEventListener('click', () => {
    if (!state.base) return;
    state.form = copy(state.base);
    state.serverErrors = {};
    writeControls(state.form);
    persist();
    showNotice(undefined);
    render();
  });
  // Enter in a one-line field is OK, as in a Windows dialog
  for (const element of [nameInput, locationInput, memoryInput]) {
    element.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        applyChanges(true);
      }
    });
  }

  persist();
  send({ type: 'ready' });
})();
