/*
 * config.js: the WebSocket APIs these pages may connect to besides their own origin (see
 * access.js). Locally the pages and the API share one origin, so the list is empty; the
 * deploy uploads its own config.js naming the stack's API instead (infra/web.tf).
 */
window.MediaDayConfig = { apis: [] };
