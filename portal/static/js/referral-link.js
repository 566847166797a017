// The "Copy link" button of the invitation page: <button data-copy="#input-id" data-copied="Copied">.
// Copies the input's text (the Clipboard API, or selecting it and the older copy command), then says so in the
// [data-copy-status] live region.
(function () {
  'use strict';

  document.addEventListener('click', (event) => {
    const button = event.target.closest('[data-copy]');
    if (!button) return;
    const input = document.querySelector(button.dataset.copy);
    const status = document.querySelector('[data-copy-status]');
    if (!input) return;
    const done = () => { if (status) status.textContent = button.dataset.copied; };
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, () => { document.execCommand('copy'); done(); });
    } else {
      document.execCommand('copy');
      done();
    }
  });
})();
