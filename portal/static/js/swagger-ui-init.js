// Starts Swagger UI on /api/v1/docs with the settings the page carries as JSON (no inline script).
window.addEventListener('load', () => {
  const config = JSON.parse(document.getElementById('swagger-ui-config').textContent);
  window.ui = SwaggerUIBundle(config);
});
