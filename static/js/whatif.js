/* What-if weights: recompute the scenario's leaderboard as the reviewer types.
   The form still works without this script (the "Tính lại" button submits it). */
(function () {
  "use strict";
  var form = document.getElementById("whatif-form");
  var table = document.getElementById("whatif-table");
  var summary = document.getElementById("whatif-summary");
  var csv = document.getElementById("whatif-csv");
  if (!form || !table || !summary || !window.fetch) { return; }
  var endpoint = form.getAttribute("data-endpoint");
  var csvBase = form.getAttribute("data-csv");
  var template = summary.getAttribute("data-template") || "{moved}/{total}";
  var timer = null;
  var latest = 0;

  function query() {
    var params = new URLSearchParams();
    var fields = form.querySelectorAll("input[name], select[name]");
    for (var i = 0; i < fields.length; i++) {
      var name = fields[i].name;
      if (name === "csrfmiddlewaretoken" || name === "ten" || name === "mo_ta") { continue; }
      params.append(name, fields[i].value);
    }
    return params.toString();
  }

  function cell(tag, text, className) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    node.textContent = text === null || text === undefined ? "–" : String(text);
    return node;
  }

  function shiftCell(shift) {
    var td = document.createElement("td");
    td.className = "num";
    var span = document.createElement("span");
    if (shift === null || shift === undefined) { td.textContent = "–"; return td; }
    if (shift > 0) { span.className = "chg chg-up"; span.textContent = "▲ " + shift; }
    else if (shift < 0) { span.className = "chg chg-down"; span.textContent = "▼ " + (-shift); }
    else { span.className = "chg chg-same"; span.textContent = "="; }
    td.appendChild(span);
    return td;
  }

  function render(data) {
    var body = document.createElement("tbody");
    data.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.appendChild(cell("td", row.rank, "num"));
      tr.appendChild(cell("td", row.official_rank, "num"));
      tr.appendChild(shiftCell(row.shift));
      tr.appendChild(cell("th", row.unit));
      tr.lastChild.setAttribute("scope", "row");
      tr.appendChild(cell("td", row.score, "num"));
      tr.appendChild(cell("td", row.official_score, "num"));
      body.appendChild(tr);
    });
    table.replaceChild(body, table.tBodies[0]);
    summary.classList.remove("error");
    summary.removeAttribute("role");
    summary.textContent = template.replace("{moved}", data.moved)
      .replace("{total}", data.total).replace("{ms}", data.server_ms);
  }

  function recompute() {
    var q = query();
    var ticket = ++latest;
    if (csv) { csv.href = csvBase + "?" + q; }
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "?" + q);
    }
    fetch(endpoint + "?" + q, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        return response.json().then(function (data) { return {ok: response.ok, data: data}; });
      })
      .then(function (reply) {
        if (ticket !== latest) { return; }
        if (!reply.ok) {
          summary.className = "error";
          summary.setAttribute("role", "alert");
          summary.textContent = (reply.data.errors || []).join(" ");
          return;
        }
        render(reply.data);
      })
      .catch(function () { /* keep the last table; the button still works */ });
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(recompute, 200);
  }

  form.addEventListener("input", function (event) {
    if (event.target.name === "ten" || event.target.name === "mo_ta") { return; }
    schedule();
  });
  form.addEventListener("change", function (event) {
    if (event.target.tagName === "SELECT") { schedule(); }
  });
}());
