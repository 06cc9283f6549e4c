/* AI-Ticker: keeps the page's message current by polling /api/ticker/.
 *
 * Every message is untrusted text from an AI model: it is only ever inserted with textContent, never as HTML.
 * Served as a static file because the Content-Security-Policy allows no inline script.
 */
(function () {
  "use strict";

  var EMPTY_TEXT = "No message yet — the ticker has not produced one.";
  var RECENT_LIMIT = 5;
  var MIN_DELAY_MS = 1000;
  var MAX_DELAY_MS = 300000;

  function start(root) {
    var api = root.getAttribute("data-api");
    var healthApi = root.getAttribute("data-health-api");
    var intervalMs = clamp((Number(root.getAttribute("data-interval")) || 30) * 1000);
    var content = root.querySelector("[data-ticker-content]");
    var attribution = root.querySelector("[data-ticker-attribution]");
    var recent = document.querySelector("[data-ticker-recent]");
    var providers = document.querySelector("[data-ticker-providers]");
    var currentId = root.getAttribute("data-message-id") || "";
    var currentText = currentId ? content.textContent : "";
    var currentProvider = textOf(root, "[data-ticker-provider]");
    var timer = null;
    var inFlight = false;
    var polls = 0;

    function clamp(ms) {
      return Math.min(Math.max(ms, MIN_DELAY_MS), MAX_DELAY_MS);
    }

    function setText(selector, value) {
      var el = root.querySelector(selector);
      if (el) el.textContent = value == null ? "" : String(value);
      return el;
    }

    function pushRecent(text, provider) {
      if (!recent || !text) return;
      var placeholder = recent.querySelector(".recent-empty");
      if (placeholder) placeholder.remove();
      var item = document.createElement("li");
      var body = document.createElement("span");
      body.className = "recent-text";
      body.textContent = text;
      var meta = document.createElement("span");
      meta.className = "recent-meta";
      meta.textContent = provider || "";
      item.appendChild(body);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(meta);
      recent.insertBefore(item, recent.firstChild);
      while (recent.children.length > RECENT_LIMIT) recent.removeChild(recent.lastChild);
    }

    function render(payload) {
      var id = payload.message_id == null ? "" : String(payload.message_id);
      var hasMessage = payload.state === "ok" && typeof payload.content === "string";
      if (payload.interval_seconds) intervalMs = clamp(payload.interval_seconds * 1000);
      root.classList.toggle("is-empty", !hasMessage);
      root.classList.remove("is-offline");
      if (id === currentId && hasMessage) {
        return;
      }
      if (currentId && currentText) pushRecent(currentText, currentProvider);
      content.textContent = hasMessage ? payload.content : EMPTY_TEXT;
      currentId = hasMessage ? id : "";
      currentText = hasMessage ? payload.content : "";
      currentProvider = payload.provider || "";
      root.setAttribute("data-message-id", currentId);
      if (attribution) {
        attribution.hidden = !hasMessage;
        setText("[data-ticker-provider]", payload.provider);
        setText("[data-ticker-model]", payload.model);
        setText("[data-ticker-source]", payload.source);
        var time = setText("[data-ticker-time]", formatTime(payload.shown_at));
        if (time) time.setAttribute("datetime", payload.shown_at || "");
      }
      restartMarquee();
    }

    function restartMarquee() {
      // Re-trigger the CSS animation so a new message scrolls in from the start.
      if (!document.body.classList.contains("is-marquee")) return;
      content.classList.remove("scrolling");
      void content.offsetWidth;
      content.classList.add("scrolling");
    }

    function renderProviders(list) {
      if (!providers || !Array.isArray(list)) return;
      while (providers.firstChild) providers.removeChild(providers.firstChild);
      if (!list.length) {
        var none = document.createElement("li");
        none.className = "provider-none";
        none.textContent = "No provider enabled.";
        providers.appendChild(none);
        return;
      }
      list.forEach(function (p) {
        var item = document.createElement("li");
        var health = ["healthy", "unknown", "down"].indexOf(p.health) >= 0 ? p.health : "unknown";
        var circuit = ["closed", "open", "half-open"].indexOf(p.circuit) >= 0 ? p.circuit : "closed";
        item.className = "provider health-" + health + " circuit-" + circuit;
        item.title = p.name + ": " + health + ", circuit " + circuit;
        var dot = document.createElement("span");
        dot.className = "dot";
        dot.setAttribute("aria-hidden", "true");
        var name = document.createElement("span");
        name.className = "provider-name";
        name.textContent = p.name;
        var state = document.createElement("span");
        state.className = "visually-hidden";
        state.textContent = health + ", circuit " + circuit;
        item.appendChild(dot);
        item.appendChild(name);
        item.appendChild(state);
        providers.appendChild(item);
      });
    }

    function getJSON(url) {
      return fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" });
    }

    function refresh() {
      if (inFlight) return;
      inFlight = true;
      clearTimeout(timer);
      polls += 1;
      var healthDue = healthApi && providers && polls % 10 === 0;
      getJSON(api)
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(render)
        .catch(function () {
          root.classList.add("is-offline");
        })
        .then(function () {
          if (!healthDue) return null;
          return getJSON(healthApi)
            .then(function (response) { return response.json(); })
            .then(function (report) { renderProviders(report.providers); })
            .catch(function () { /* the dots keep their last state */ });
        })
        .then(function () {
          inFlight = false;
          timer = setTimeout(refresh, intervalMs);
        });
    }

    root.querySelectorAll("[data-ticker-refresh]").forEach(function (el) {
      el.addEventListener("click", refresh);
    });
    var initialTime = root.querySelector("[data-ticker-time]");
    if (initialTime && initialTime.getAttribute("datetime")) {
      initialTime.textContent = formatTime(initialTime.getAttribute("datetime"));
    }
    restartMarquee();
    timer = setTimeout(refresh, intervalMs);
  }

  function textOf(root, selector) {
    var el = root.querySelector(selector);
    return el ? el.textContent : "";
  }

  function formatTime(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    return isNaN(date.getTime()) ? "" : date.toLocaleTimeString();
  }

  function init() {
    document.querySelectorAll("[data-ticker]").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
