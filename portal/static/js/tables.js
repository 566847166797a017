// Wide tables scroll inside their own box rather than the whole page sideways (WCAG 1.4.10 reflow: a
// 1280 px screen at 200 % zoom is 640 px wide). Tables a template already wrapped are left as they are.
document.querySelectorAll('main table.table').forEach((table) => {
  if (table.closest('.table-responsive')) return;
  const box = document.createElement('div');
  box.className = 'table-responsive';
  table.before(box);
  box.append(table);
});
