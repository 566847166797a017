// The new-key form: a ready-made set ticks exactly its permissions (the server adds them too, without this script).
(function () {
  'use strict';
  const presets = document.querySelector('[data-key-presets]');
  const scopes = document.querySelector('[data-key-scopes]');
  if (!presets || !scopes) return;
  presets.addEventListener('change', (event) => {
    if (!event.target.matches('input[type=radio]')) return;
    const chosen = (event.target.dataset.scopes || '').split(' ').filter(Boolean);
    if (!chosen.length) return;  // "None": leave the ticks as they are
    scopes.querySelectorAll('input[type=checkbox]').forEach((box) => { box.checked = chosen.includes(box.value); });
  });
})();
