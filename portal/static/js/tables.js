// Wide tables scroll inside their own box rather than the whole page sideways (WCAG 1.4.10 reflow: a
// 1280 px screen at 200 % zoom is 640 px wide). Tables a template already wrapped are left as they are.
document.querySelectorAll('main table.table').forEach((table) => {
  if (table.closest('.table-responsive')) return;
  const box = document.createElement('div');
  box.className = 'table-responsive';
  table.before(box);
  box.append(table);
});

// A box that scrolls must be reachable with the keyboard (WCAG 2.1.1): it takes the focus, and says what it
// holds, while its content is wider than it; at a width where it fits, it is left out of the tab order.
(function () {
  function nameOf(box) {
    const table = box.querySelector('table');
    const caption = table && table.querySelector('caption');
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    const heading = box.closest('figure, section, .card, main')?.querySelector('figcaption, h1, h2, h3, h4, h5, h6');
    return heading ? heading.textContent.trim() : '';
  }
  function mark() {
    document.querySelectorAll('.table-responsive, [data-scroll-region]').forEach((box) => {
      const scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.hasAttribute('tabindex')) {
        box.setAttribute('tabindex', '0');
        box.setAttribute('role', 'region');
        if (!box.hasAttribute('aria-label') && nameOf(box)) box.setAttribute('aria-label', nameOf(box));
        box.dataset.focusableScroll = '1';
      } else if (!scrolls && box.dataset.focusableScroll) {
        box.removeAttribute('tabindex');
        box.removeAttribute('role');
        delete box.dataset.focusableScroll;
      }
    });
  }
  mark();
  let pending = null;
  window.addEventListener('resize', () => { clearTimeout(pending); pending = setTimeout(mark, 150); });
  window.addEventListener('load', mark);
})();
