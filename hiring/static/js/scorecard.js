// Scorecard: autosave with the CSRF token in a header, retries when the connection drops,
// a visible "saved at", the recommendation opened only once every competency is settled, and
// competency ratings suggested from question ratings. No inline script: CSP allows 'self' only.
(function () {
  "use strict";
  var form = document.getElementById("scorecard-form");
  if (!form) { return; }
  var statusEl = document.getElementById("autosave-status");
  var hygieneEl = document.getElementById("hygiene-live");
  var url = form.getAttribute("data-autosave-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var versionInput = form.querySelector("input[name=version]");
  var timer = null, inFlight = false, pending = false, retryDelay = 2000, touched = {};

  function say(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "autosave-status" + (kind ? " autosave-" + kind : "");
  }

  function save() {
    if (inFlight) { pending = true; return; }
    inFlight = true;
    say("Saving…");
    var body = new FormData(form);
    body.delete("action");
    fetch(url, {
      method: "POST", body: body, credentials: "same-origin", redirect: "manual",
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      if (response.type === "opaqueredirect" || response.status === 302 || response.status === 401) {
        say("Your session ended. Log in again in another tab; your text stays on this page and will be saved then.", "error");
        schedule(retryDelay);
        return null;
      }
      return response.json().then(function (data) {
        if (response.ok && data.ok) {
          versionInput.value = data.version;
          var at = new Date(data.saved_at);
          say("Draft saved at " + at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }), "ok");
          retryDelay = 2000;
          showWarnings(data.warnings || []);
        } else if (response.status === 409) {
          say(data.message || "Saved from another window meanwhile.", "error");
        } else {
          say(data.message || "Not saved: check the form.", "error");
        }
      });
    }).catch(function () {
      say("Offline: not saved yet. Retrying in " + Math.round(retryDelay / 1000) + " s; keep typing, nothing is lost.", "error");
      schedule(retryDelay);
      retryDelay = Math.min(retryDelay * 2, 60000);
    }).then(function () {
      inFlight = false;
      if (pending) { pending = false; schedule(500); }
    });
  }

  function schedule(delay) {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(save, delay);
  }

  function showWarnings(list) {
    if (!hygieneEl) { return; }
    hygieneEl.textContent = "";
    if (!list.length) { hygieneEl.hidden = true; return; }
    var heading = document.createElement("h2");
    heading.textContent = "Check your notes";
    var ul = document.createElement("ul");
    list.forEach(function (w) {
      var li = document.createElement("li");
      li.textContent = w.field + ": " + w.message;
      ul.appendChild(li);
    });
    hygieneEl.appendChild(heading);
    hygieneEl.appendChild(ul);
    hygieneEl.hidden = false;
  }

  function competencyBlocks() { return form.querySelectorAll(".competency-block"); }

  function settled(block) {
    var id = block.getAttribute("data-competency");
    var checked = form.querySelector("input[name=rating_" + id + "]:checked");
    if (!checked) { return false; }
    if (checked.value !== "na") { return true; }
    var reason = form.querySelector("select[name=reason_" + id + "]");
    return reason && reason.value !== "";
  }

  function updateRecommendation() {
    var blocks = competencyBlocks(), ready = true;
    for (var i = 0; i < blocks.length; i++) { if (!settled(blocks[i])) { ready = false; } }
    var radios = form.querySelectorAll("input[name=recommendation]");
    for (var j = 0; j < radios.length; j++) { radios[j].disabled = !ready; }
    var lock = document.getElementById("recommendation-lock");
    if (lock) { lock.hidden = ready; }
    var group = document.getElementById("recommendation-group");
    if (group) { group.classList.toggle("locked", !ready); }
  }

  function suggestFromQuestions(competencyId) {
    if (touched[competencyId]) { return; }
    var groups = form.querySelectorAll("[data-question-competency='" + competencyId + "']");
    var sum = 0, n = 0;
    for (var i = 0; i < groups.length; i++) {
      var c = groups[i].querySelector("input:checked");
      if (c) { sum += parseInt(c.value, 10); n += 1; }
    }
    if (!n) { return; }
    var value = Math.min(4, Math.max(1, Math.floor(sum / n + 0.5)));
    var target = form.querySelector("input[name=rating_" + competencyId + "][value='" + value + "']");
    if (target) { target.checked = true; }
  }

  form.addEventListener("input", function () { schedule(1500); });
  form.addEventListener("change", function (event) {
    var name = event.target.name || "";
    if (name.indexOf("rating_") === 0) { touched[name.slice(7)] = true; }
    var qgroup = event.target.closest("[data-question-competency]");
    if (qgroup) { suggestFromQuestions(qgroup.getAttribute("data-question-competency")); }
    updateRecommendation();
    schedule(800);
  });
  window.addEventListener("online", function () { schedule(200); });
  // Ratings already present (a saved draft) count as the interviewer's own.
  competencyBlocks().forEach(function (block) {
    var id = block.getAttribute("data-competency");
    if (form.querySelector("input[name=rating_" + id + "]:checked")) { touched[id] = true; }
  });
  updateRecommendation();
})();
