// Registration: ask for the company's name and region only when the INN is new to the program.
(function () {
  'use strict';
  const inn = document.getElementById('inn');
  const known = document.getElementById('company-known');
  const fresh = document.getElementById('company-new');
  if (!inn || !known || !fresh) return;
  const texts = {known: known.dataset.textKnown, pending: known.dataset.textPending};
  async function lookup() {
    const value = inn.value.replace(/[\s-]/g, '');
    if (!/^\d{10}(\d{2})?$/.test(value)) { known.classList.add('d-none'); fresh.classList.remove('d-none'); return; }
    const response = await fetch(known.dataset.lookupUrl + '?inn=' + encodeURIComponent(value));
    if (!response.ok) return;
    const data = await response.json();
    if (data.known) {
      known.textContent = texts.known.replace('__NAME__', data.name) + (data.status === 'pending' ? ' (' + texts.pending + ')' : '');
      known.classList.remove('d-none');
      fresh.classList.add('d-none');
    } else {
      known.classList.add('d-none');
      fresh.classList.remove('d-none');
    }
  }
  inn.addEventListener('change', lookup);
  inn.addEventListener('blur', lookup);
  if (inn.value) lookup();
})();
