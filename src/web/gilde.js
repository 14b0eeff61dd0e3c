// Gilde's own script: only enhances pages that work without it. Loaded from /static (the
// Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  // Times: shown in the reader's own time zone and language.
  var lang = document.documentElement.lang || "nl";
  var format = new Intl.DateTimeFormat(lang === "nl" ? "nl-NL" : "en-GB", { dateStyle: "medium", timeStyle: "short" });
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var at = new Date(el.getAttribute("datetime"));
    if (!isNaN(at)) { el.textContent = format.format(at); }
  });

  // Inline reply: "Reply" under a post in a stream opens the thread's reply form in place.
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.reply-link") : null;
    if (!link || document.getElementById("reply-status")) { return; }
    var post = link.closest("article.post");
    if (!post || post.querySelector("form.compose")) { return; }
    event.preventDefault();
    fetch(link.getAttribute("href").split("#")[0], { credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var form = doc.querySelector("form.compose#reply");
        if (!form) { window.location = link.href; return; }
        form.id = "reply-" + post.dataset.id;
        form.querySelectorAll("[id]").forEach(function (el) { el.id = el.id.replace(/^reply/, form.id); });
        form.querySelectorAll("[for]").forEach(function (el) { el.htmlFor = el.htmlFor.replace(/^reply/, form.id); });
        form.querySelectorAll("[aria-describedby]").forEach(function (el) {
          el.setAttribute("aria-describedby", el.getAttribute("aria-describedby").replace(/(^| )reply/g, "$1" + form.id));
        });
        post.appendChild(document.importNode(form, true));
        var area = post.querySelector("textarea");
        if (area) { area.focus(); }
      })
      .catch(function () { window.location = link.href; });
  });

  // Live notice: the home stream asks every 30 seconds whether new posts arrived.
  var live = document.getElementById("live");
  if (live && live.dataset.newest) {
    var check = function () {
      fetch("/live/home?after=" + encodeURIComponent(live.dataset.newest), { credentials: "same-origin" })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (body) {
          if (!body || !body.new) { return; }
          live.textContent = "";
          var a = document.createElement("a");
          a.href = "/";
          a.textContent = live.dataset.text + " (" + body.new + ")";
          live.appendChild(a);
          live.hidden = false;
        })
        .catch(function () {});
    };
    var every = parseInt(live.dataset.every || "30000", 10);
    window.setInterval(check, every);
  }
})();
