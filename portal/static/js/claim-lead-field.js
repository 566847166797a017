// The claim form's lead picker: offers only my company's qualified leads with the INN typed as the customer's.
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
    return shown;
  }
  // Typing the customer's INN pre-selects its lead when exactly one matches: the sale closes it unless
  // the seller chooses "No lead" (the server links a sale that says nothing the same way).
  inn.addEventListener('input', () => {
    if (filter() !== 1 || select.value) return;
    select.value = [...select.options].find((option) => option.value && !option.disabled).value;
    select.dispatchEvent(new Event('change', {bubbles: true}));  // the expected points follow
  });
  filter();
})();
