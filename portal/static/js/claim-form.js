// The claim form: lines added as you type, sums, product suggestions and the expected points.
(function () {
  const form = document.getElementById('claim-form');
  const body = document.querySelector('#lines tbody');
  const options = document.getElementById('product-options');
  const money = new Intl.NumberFormat(form.dataset.locale, {style: 'currency', currency: 'RUB'});
  // A number typed the Russian or the English way, read as the server reads it (portal/core/fields.py,
  // normalise_number): spaces group thousands; so does a comma or dot before three digits (45,000); the other
  // separator is then the decimal one (12,345.50 or 12.345,50). Anything else counts as 0 until corrected.
  const GROUPED = /^[1-9]\d{0,2}([.,])\d{3}(\1\d{3})*$/;  // 45,000 or 1.234.567
  const parse = (text) => {
    const raw = String(text || '').replace(/[\s\u00a0\u202f']/g, '');
    const last = Math.max(raw.lastIndexOf(','), raw.lastIndexOf('.'));
    let plain = raw;
    if (last >= 0) {
      const whole = raw.slice(0, last);
      const decimals = raw.slice(last + 1);
      if (decimals.length === 3 && GROUPED.test(raw)) {
        plain = raw.replace(/[.,]/g, '');
      } else if (/[.,]/.test(whole)) {
        const grouped = GROUPED.exec(whole);
        if (!grouped || grouped[1] === raw[last]) return 0;
        plain = `${whole.replace(/[.,]/g, '')}.${decimals}`;
      } else {
        plain = `${whole}.${decimals}`;
      }
    }
    const v = /^\d*\.?\d*$/.test(plain) ? parseFloat(plain) : NaN;
    return isNaN(v) ? 0 : v;
  };
  const decimalMark = (form.dataset.locale || 'ru').startsWith('en') ? '.' : ',';
  const prices = {};

  function recalc() {
    let total = 0;
    body.querySelectorAll('tr.line').forEach((row) => {
      const sum = parse(row.querySelector('.quantity').value) * parse(row.querySelector('.price').value);
      row.querySelector('.line-sum').textContent = sum ? money.format(sum) : '—';
      total += sum;
    });
    document.getElementById('total').textContent = total ? money.format(total) : '—';
    schedulePreview();
  }

  function renumber(row, index) {
    row.querySelectorAll('input').forEach((input) => {
      input.name = input.name.replace(/lines-\d+-/, `lines-${index}-`);
      input.id = input.id.replace(/lines-\d+-/, `lines-${index}-`);
    });
  }

  function addLine() {
    const rows = body.querySelectorAll('tr.line');
    const row = rows[rows.length - 1].cloneNode(true);
    row.querySelectorAll('input').forEach((input) => { input.value = ''; input.classList.remove('is-invalid'); });
    row.querySelectorAll('.invalid-feedback:not(.product-problem)').forEach((el) => el.remove());
    row.querySelectorAll('.product-problem').forEach((el) => { el.textContent = ''; });
    row.querySelectorAll('[data-testid="upd-line"]').forEach((el) => el.remove());  // a UPD line's hint stays its own
    renumber(row, rows.length);
    body.appendChild(row);
    row.querySelector('.product').focus();
    recalc();
  }
  document.getElementById('add-line').addEventListener('click', addLine);

  body.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();  // Enter in a line never submits the form by accident
    const rows = [...body.querySelectorAll('tr.line')];
    const row = event.target.closest('tr');
    if (event.target.classList.contains('price') && row === rows[rows.length - 1]) addLine();
  });

  let searchTimer;
  body.addEventListener('input', (event) => {
    if (event.target.classList.contains('product')) {
      clearTimeout(searchTimer);
      const q = event.target.value.split(' — ')[0];
      searchTimer = setTimeout(async () => {
        const response = await fetch(form.dataset.searchUrl + '?q=' + encodeURIComponent(q));
        if (!response.ok) return;
        options.innerHTML = '';
        for (const p of await response.json()) {
          const option = document.createElement('option');
          option.value = `${p.sku} — ${p.name}`;
          prices[option.value] = p.price;
          options.appendChild(option);
        }
      }, 150);
      const price = event.target.closest('tr').querySelector('.price');
      if (prices[event.target.value] && !price.value) price.value = (prices[event.target.value] / 100).toFixed(2).replace('.', decimalMark);
    }
    recalc();
  });

  let previewTimer;
  function schedulePreview() { clearTimeout(previewTimer); previewTimer = setTimeout(preview, 300); }
  async function preview() {
    const data = new FormData(form);
    data.delete('scan');
    const response = await fetch(form.dataset.previewUrl, {
      method: 'POST', body: data, headers: {'X-CSRFToken': form.querySelector('[name=csrf_token]').value},
    });
    if (!response.ok) return;
    const result = await response.json();
    // The product check as you type: the same words the server uses when the claim is saved.
    const rows = [...body.querySelectorAll('tr.line')];
    rows.forEach((row) => { row.querySelector('.product').classList.remove('is-invalid'); row.querySelector('.product-problem').textContent = ''; });
    for (const problem of result.problems || []) {
      const row = rows[problem.line];
      if (!row) continue;
      row.querySelector('.product').classList.add('is-invalid');
      row.querySelector('.product-problem').textContent = problem.message;
    }
    document.getElementById('expected-total').textContent = new Intl.NumberFormat(form.dataset.locale).format(result.total);
    const list = document.getElementById('expected-awards');
    list.innerHTML = '';
    for (const award of result.awards) {
      const item = document.createElement('li');
      item.textContent = `${award.rule}: ${new Intl.NumberFormat(form.dataset.locale).format(award.points)}`;
      list.appendChild(item);
    }
  }
  form.addEventListener('change', recalc);
  recalc();
})();
