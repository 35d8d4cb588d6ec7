// Swagger UI for /openapi.json, from a file rather than an inline script, so /docs runs under the same
// Content-Security-Policy as the page (only the app's own scripts).
SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
});
