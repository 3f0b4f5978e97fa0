// ATL dashboard: the little that must be live. Pages are rendered by the server and work
// without this file; it adds live progress (Server-Sent Events, resumed after the last
// event id when the connection drops), in-place filtering and paging of the targets
// table, the upload preview and the audio play button.
"use strict";

(function () {
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // ---- the targets table: filter, page and refresh in place --------------------------
  function tableParams(url) {
    var u = new URL(url, location.href);
    return u.search;
  }

  function swapTable(html) {
    var box = $("#targets");
    if (!box) return;
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    var fresh = tpl.content;
    // The filter form is left alone so that typing in it is never interrupted.
    ["#targets-count", ".table-wrap", ".pager"].forEach(function (sel) {
      var old = $(sel, box), neu = $(sel, fresh);
      if (old && neu) old.replaceWith(neu);
    });
  }

  var tableBusy = false, tableAgain = false, lastTableLoad = 0, tableTimer = null;
  function loadTable(search, push) {
    var live = $("#live");
    if (!live) return;
    if (tableBusy) { tableAgain = true; return; }
    tableBusy = true;
    lastTableLoad = Date.now();
    var url = live.dataset.table + (search || "");
    fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.text();
    }).then(function (html) {
      swapTable(html);
      if (push) history.replaceState(null, "", location.pathname + (search || ""));
    }).catch(function () { /* the next refresh tries again */ }).then(function () {
      tableBusy = false;
      if (tableAgain) { tableAgain = false; scheduleTable(); }
    });
  }

  function currentSearch() {
    var t = $("table.targets");
    if (!t) return location.search;
    var p = new URLSearchParams();
    p.set("page", t.dataset.page || "1");
    if (t.dataset.status) p.set("status", t.dataset.status);
    if (t.dataset.q) p.set("q", t.dataset.q);
    return "?" + p.toString();
  }

  // Targets finish by the hundred a second on a big campaign: reload the visible page
  // at most every two seconds.
  function scheduleTable() {
    if (tableTimer) return;
    var wait = Math.max(0, 2000 - (Date.now() - lastTableLoad));
    tableTimer = setTimeout(function () { tableTimer = null; loadTable(currentSearch(), false); }, wait);
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.id !== "targets-filter") return;
    e.preventDefault();
    var p = new URLSearchParams(new FormData(form));
    p.set("page", "1");
    loadTable("?" + p.toString(), true);
  });
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[data-page-link]");
    if (!a || !$("#live")) return;
    e.preventDefault();
    loadTable(tableParams(a.href), true);
  });

  // ---- live progress ---------------------------------------------------------------
  function applyStatus(panel) {
    var status = panel && panel.dataset.status;
    if (!status) return;
    $all("[data-when]").forEach(function (f) {
      f.hidden = f.dataset.when.split(" ").indexOf(status) < 0;
    });
    var said = $("#live-status");
    var label = $("#campaign-status", panel);
    if (said && label && said.dataset.status !== status) {
      if (said.dataset.status) said.textContent = "Campaign " + label.textContent.toLowerCase();
      said.dataset.status = status;
    }
  }

  function startLive() {
    var live = $("#live");
    if (!live || !window.EventSource) return;
    var lastId = null, source = null, connects = 0, retryTimer = null;
    applyStatus($("#progress-panel .panel"));
    function open() {
      var url = live.dataset.live + (lastId ? "?after=" + encodeURIComponent(lastId) : "");
      source = new EventSource(url);
      source.onopen = function () {
        connects += 1;
        live.dataset.connects = String(connects);
        $("#conn").hidden = true;
      };
      source.addEventListener("progress", function (e) {
        var box = $("#progress-panel");
        box.innerHTML = e.data;
        var panel = $(".panel", box);
        applyStatus(panel);
        live.dataset.percent = panel ? panel.dataset.percent : "";
        live.dataset.updates = String(Number(live.dataset.updates || 0) + 1);
      });
      source.addEventListener("changed", function (e) {
        if (e.lastEventId) { lastId = e.lastEventId; live.dataset.lastEventId = lastId; }
        scheduleTable();
      });
      source.onerror = function () {
        $("#conn").hidden = false;
        // The browser retries by itself (sending Last-Event-ID) unless it gave up; then
        // reconnect after the last event seen.
        if (source.readyState === EventSource.CLOSED && !retryTimer) {
          retryTimer = setTimeout(function () { retryTimer = null; open(); }, 2000);
        }
      };
    }
    open();
    window.addEventListener("pagehide", function () { if (source) source.close(); });
  }

  // ---- upload: drop, preview, mapping ------------------------------------------------
  function startUpload() {
    var form = $("#upload-form");
    if (!form) return;
    var file = $("#file"), drop = $("#drop"), out = $("#preview"), button = $("#preview-button");
    function preview() {
      if (!file.files || !file.files.length) {
        out.innerHTML = '<p role="alert" class="error" id="preview-error">Choose a CSV file first.</p>';
        return;
      }
      button.disabled = true;
      out.setAttribute("aria-busy", "true");
      var data = new FormData(form);
      fetch("/upload/preview", { method: "POST", body: data, credentials: "same-origin" })
        .then(function (r) { return r.text(); })
        .then(function (html) { out.innerHTML = html; })
        .catch(function () {
          out.innerHTML = '<p role="alert" class="error" id="preview-error">The file could not be sent. Check the connection and try again.</p>';
        })
        .then(function () { button.disabled = false; out.removeAttribute("aria-busy"); });
    }
    button.addEventListener("click", preview);
    file.addEventListener("change", preview);
    out.addEventListener("change", function (e) { if (e.target.name === "map") preview(); });
    ["dragenter", "dragover"].forEach(function (t) {
      drop.addEventListener(t, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      drop.addEventListener(t, function () { drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) {
        file.files = e.dataTransfer.files;
        preview();
      }
    });
  }

  // ---- audio -------------------------------------------------------------------------
  function startAudio() {
    var play = $("#play"), audio = $("#audio"), state = $("#audio-state");
    if (!play || !audio) return;
    audio.addEventListener("loadedmetadata", function () {
      if (isFinite(audio.duration)) state.textContent = "Audio ready (" + Math.round(audio.duration) + " s).";
    });
    audio.addEventListener("error", function () {
      fetch(play.dataset.audio, { credentials: "same-origin" }).then(function (r) {
        return r.ok ? null : r.json();
      }).then(function (body) {
        var why = body && body.error && body.error.message;
        state.textContent = "The audio could not be made" + (why ? ": " + why : ".");
      }).catch(function () { state.textContent = "The audio could not be made."; })
        .then(function () { play.disabled = false; });
    });
    play.addEventListener("click", function () {
      if (!audio.getAttribute("src")) {
        state.textContent = "Making the audio: the first time takes a few seconds…";
        play.disabled = true;
        audio.src = play.dataset.audio;
        audio.addEventListener("canplay", function () { play.disabled = false; }, { once: true });
      }
      var p = audio.play();
      if (p && p.catch) p.catch(function () { /* the error event says why */ });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startLive();
    startUpload();
    startAudio();
  });
})();
