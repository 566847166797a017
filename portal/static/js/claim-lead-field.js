// The claim form's lead picker: offers only my qualified leads with the INN typed as the customer's.
(function () {
  const box = document.getElementById('claim-lead-box');
  if (!box) return;
  const select = document.getElementById('lead_id');
  const inn = document.getElementById('customer_inn');
  function filter() {
    const typed = (inn.value || '').replace(/[\s-]/g, '');
    let shown = 0;
    for (const option of select.options) {
      if (!option.value) continue;
      const match = typed && option.dataset.inn === typed;
      option.hidden = !match;
      option.disabled = !match;
      if (match) shown += 1;
      else if (option.selected) select.value = '';
    }
    box.hidden = shown === 0 && !box.dataset.error;
  }
  inn.addEventListener('input', filter);
  filter();
})();
