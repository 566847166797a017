// The card payment page: Stripe.js tokenises the card, the portal charges it, the webhook marks the order paid.
(function () {
  const config = JSON.parse(document.getElementById('pay-config').textContent);
  // Stripe.js speaks the page's language; its error codes become our own messages, in the page's language too.
  const stripe = Stripe(config.key, {locale: config.locale});
  const card = stripe.elements({locale: config.locale}).create('card');
  card.mount('#card-element');
  const button = document.getElementById('pay');
  const errors = document.getElementById('card-errors');
  const status = document.getElementById('pay-status');
  const texts = config.texts;
  function message(error) {
    if (!error) return texts.failed;
    return texts.codes[error.decline_code] || texts.codes[error.code] || texts.types[error.type] || texts.failed;
  }
  async function waitForOrder() {
    for (let i = 0; i < 60; i++) {
      const response = await fetch(config.stateUrl);
      const state = await response.json();
      if (state.status !== 'awaiting_payment') { window.location = config.orderUrl; return; }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  button.addEventListener('click', async () => {
    button.disabled = true; errors.textContent = ''; status.textContent = texts.working;
    let token, error;
    try { ({token, error} = await stripe.createToken(card)); } catch (e) { error = {type: 'api_connection_error'}; }
    if (error || !token) { errors.textContent = message(error); button.disabled = false; status.textContent = ''; return; }
    const response = await fetch(config.chargeUrl, {
      method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRFToken': config.csrfToken},
      body: JSON.stringify({token: token.id}),
    });
    const result = await response.json().catch(() => ({}));
    if (!response.ok) {
      errors.textContent = result.error || texts.failed; status.textContent = '';
      // Declined: the order still waits for payment, so another card may be tried; otherwise show the order.
      if (result.status === 'awaiting_payment') { if (typeof card.clear === 'function') card.clear(); button.disabled = false; } else { setTimeout(waitForOrder, 1500); }
      return;
    }
    if (result.status === 'requires_action') {
      const outcome = await stripe.confirmCardPayment(result.client_secret);
      if (outcome.error) { errors.textContent = message(outcome.error); status.textContent = ''; button.disabled = false; return; }
    }
    status.textContent = texts.confirming;
    waitForOrder();
  });
})();
