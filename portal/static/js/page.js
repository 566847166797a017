// Small behaviours every page may use, declared in the templates with data attributes (no inline script:
// the Content-Security-Policy forbids it, see README "Security headers").
//   <form data-confirm="Question?">        asks before submitting
//   <select data-autosubmit>                submits its form when changed
//   <a data-print> / <button data-print>    opens the print dialog
//   <input data-select-on-click>            selects its text when clicked (tokens to copy)
//   <input type=checkbox data-select-all=".row-check">  ticks or unticks every enabled box matching the selector
//   <span data-countdown data-deadline="ISO date" data-template="{d} d {h} h {m} min {s} s">
(function () {
  'use strict';

  document.addEventListener('submit', (event) => {
    const form = event.target.closest('form[data-confirm]');
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  document.addEventListener('change', (event) => {
    const target = event.target;
    if (target.matches('[data-autosubmit]') && target.form) target.form.submit();
    if (target.matches('[data-select-all]')) {
      document.querySelectorAll(target.dataset.selectAll).forEach((box) => {
        if (!box.disabled) box.checked = target.checked;
      });
    }
  });

  document.addEventListener('click', (event) => {
    const printer = event.target.closest('[data-print]');
    if (printer) { event.preventDefault(); window.print(); }
    if (event.target.matches('[data-select-on-click]')) event.target.select();
  });

  function startCountdown(el) {
    const deadline = new Date(el.dataset.deadline).getTime();
    const template = el.dataset.template;
    function tick() {
      const left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
      el.textContent = template.replace('{d}', Math.floor(left / 86400)).replace('{h}', Math.floor(left % 86400 / 3600))
        .replace('{m}', Math.floor(left % 3600 / 60)).replace('{s}', left % 60);
    }
    tick();
    setInterval(tick, 1000);
  }
  document.querySelectorAll('[data-countdown]').forEach(startCountdown);
})();
