/*
 * access.js: where a page connects and where its token lives.
 *
 * - The token is read from `?token=` once, kept in sessionStorage for the tab's lifetime
 *   (a reload still works) and removed from the address bar with history.replaceState, so
 *   it is in no history entry, bookmark or shoulder-surfed URL. It travels to the server as
 *   a WebSocket subprotocol (link.js), never in a URL.
 * - `?ws=` is obeyed only for the page's own origin or an API listed in config.js
 *   (MediaDayConfig.apis): a crafted link cannot send the token elsewhere. Anything else is
 *   ignored with a console warning and the page uses its default API. The page's
 *   Content-Security-Policy (connect-src) enforces the same list in the browser.
 */
(function (global) {
  "use strict";

  var M = global.MediaDay;
  var TOKEN_KEY = "mediaday.token:";

  function storage() {
    try {
      return global.sessionStorage;
    } catch (e) {
      return null; // storage disabled: the token lives in memory only
    }
  }

  /** The page's token, taken out of the URL (and kept for the tab) if it is there. */
  function takeToken(params) {
    var key = TOKEN_KEY + global.location.pathname;
    var store = storage();
    var given = params.get("token");
    if (!given) return (store && store.getItem(key)) || "";
    if (store) {
      try {
        store.setItem(key, given);
      } catch (e) {
        /* full or disabled: memory only */
      }
    }
    params.delete("token");
    var query = params.toString();
    var clean = global.location.pathname + (query ? "?" + query : "") + global.location.hash;
    global.history.replaceState(global.history.state, "", clean);
    return given;
  }

  /** Keep a token the page received another way than its URL (device pairing, pairing.js)
   *  where takeToken finds it for the page at `pathname` (default: this one): the tab's
   *  sessionStorage. False when storage is disabled. */
  function keepToken(token, pathname) {
    var store = storage();
    if (!store) return false;
    try {
      store.setItem(TOKEN_KEY + (pathname || global.location.pathname), token);
      return true;
    } catch (e) {
      return false;
    }
  }

  function configuredApis() {
    var config = global.MediaDayConfig || {};
    return Array.isArray(config.apis) ? config.apis.map(String) : [];
  }

  /** May the page connect to `url`? Its own origin, or a configured API (same scheme,
   *  host and port, path at or under the API's). */
  function allowedSocket(url) {
    var target;
    try {
      target = new URL(url, global.location.href);
    } catch (e) {
      return false;
    }
    if (target.protocol !== "ws:" && target.protocol !== "wss:") return false;
    if (global.location.protocol === "https:" && target.protocol !== "wss:") return false;
    if (target.host === global.location.host) return true;
    return configuredApis().some(function (api) {
      var allowed;
      try {
        allowed = new URL(api);
      } catch (e) {
        return false;
      }
      var base = allowed.pathname.replace(/\/+$/, "");
      return (
        allowed.protocol === target.protocol &&
        allowed.host === target.host &&
        (target.pathname === base || target.pathname.indexOf(base + "/") === 0 || base === "")
      );
    });
  }

  /** The page's default API: the first configured one, else its own origin's `/local`. */
  function defaultSocket() {
    var apis = configuredApis();
    if (apis.length) return apis[0];
    var scheme = global.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + global.location.host + "/local";
  }

  /** {token, url} for this page from its URL parameters (`params`: URLSearchParams). */
  function pageAccess(params) {
    var token = takeToken(params);
    var asked = params.get("ws");
    var url = defaultSocket();
    if (asked && allowedSocket(asked)) url = asked;
    else if (asked && global.console) global.console.warn("ignoring ?ws= not on the allow-list");
    return { token: token, url: url };
  }

  M.pageAccess = pageAccess;
  M.keepToken = keepToken;
  M.allowedSocket = allowedSocket;
})(window);
