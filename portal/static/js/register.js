// Registration: the INN is checked as it is typed (check digit, and whether the company takes part), and the
// company's name and region are asked for only when it does not. The server answers alike for a company nobody
// has heard of and one that applied and waits, so the page cannot tell anyone who applied.
(function () {
  'use strict';
  const inn = document.getElementById('inn');
  const status = document.getElementById('inn-status');
  const fresh = document.getElementById('company-new');
  if (!inn || !status || !fresh) return;
  const looks = {invalid: 'text-danger', known: 'text-success', fresh: 'text-body-secondary'};
  let timer = null;
  let asked = '';

  function show(kind, message) {
    status.textContent = message;
    status.className = 'small mb-3 ' + looks[kind];
    inn.classList.toggle('is-invalid', kind === 'invalid');
    fresh.classList.toggle('d-none', kind === 'known');
  }

  function clear() {
    asked = '';
    status.textContent = '';
    status.className = 'small mb-3 d-none';
    inn.classList.remove('is-invalid');
    fresh.classList.remove('d-none');
  }

  const typed = () => inn.value.replace(/[\s-]/g, '');

  async function lookup(done) {
    const value = typed();
    if (!value) { clear(); return; }
    if (!/^\d{10}(\d{2})?$/.test(value)) {
      // While typing, an unfinished number is not an error yet; leaving the field, it is.
      if (done) { asked = ''; show('invalid', status.dataset.textInvalid); } else { clear(); }
      return;
    }
    if (value === asked) return;
    asked = value;
    let data;
    try {
      const response = await fetch(status.dataset.lookupUrl + '?inn=' + encodeURIComponent(value),
                                   {headers: {Accept: 'application/json'}});
      if (!response.ok) throw new Error(String(response.status));
      data = await response.json();
    } catch (error) {
      asked = '';  // too many lookups or offline: the form checks the INN again when it is sent
      return;
    }
    if (typed() !== value) return;  // typed on meanwhile
    show(!data.valid ? 'invalid' : (data.in_program ? 'known' : 'fresh'), data.message);
  }

  inn.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => lookup(false), 300); });
  inn.addEventListener('blur', () => { clearTimeout(timer); lookup(true); });
  if (inn.value && !inn.classList.contains('is-invalid')) lookup(false);
})();
