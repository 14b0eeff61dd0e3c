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

  // Attachments: a preview of each chosen file, with its own alt text for images; the upload's
  // progress while the form is sent. Without script the form sends the files and one alt text.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form.compose input[type=file]")) { return; }
    var form = input.form;
    var list = form.querySelector(".file-previews");
    var single = form.querySelector(".alt-single");
    if (!list) { return; }
    list.textContent = "";
    var files = Array.prototype.slice.call(input.files || []);
    files.forEach(function (file, i) {
      var li = document.createElement("li");
      var id = form.id + "-alt-" + i;
      if (file.type.indexOf("image/") === 0) {
        var img = document.createElement("img");
        img.alt = "";
        img.src = URL.createObjectURL(file);
        li.appendChild(img);
      }
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = list.dataset.altLabel + " " + file.name;
      var alt = document.createElement("input");
      alt.type = "text";
      alt.name = "alts";
      alt.id = id;
      alt.maxLength = 1500;
      if (file.type.indexOf("image/") !== 0) { alt.type = "hidden"; label.hidden = true; }
      li.appendChild(label);
      li.appendChild(alt);
      list.appendChild(li);
    });
    list.hidden = files.length === 0;
    if (single) { single.hidden = files.length > 0; }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.compose")) { return; }
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files || input.files.length === 0 || !window.XMLHttpRequest) { return; }
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
    var progress = form.querySelector(".upload-progress");
    // The attribute: the form's buttons are named "action", which hides the property.
    var target = new URL(form.getAttribute("action"), window.location.href).href;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", target);
    if (progress) {
      progress.hidden = false;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { progress.value = Math.round((e.loaded / e.total) * 100); }
      });
    }
    xhr.onload = function () {
      if (xhr.status < 400 && xhr.responseURL && xhr.responseURL.split("#")[0] !== target.split("#")[0]) {
        window.location = xhr.responseURL;
        return;
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = function () { form.submit(); };
    xhr.send(data);
  });
})();
