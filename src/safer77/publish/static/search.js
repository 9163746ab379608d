// Find a community area by name or number. The list ships with the site (static/areas.js),
// so search works offline and from the file system; no request leaves this host.
(function () {
  var input = document.getElementById("q");
  var list = document.getElementById("search-results");
  if (!input || !list) { return; }
  var root = input.getAttribute("data-root") || "";
  function load(done) {
    if (window.SAFER77_AREAS) { done(window.SAFER77_AREAS); return; }
    var s = document.createElement("script");
    s.src = root + "static/areas.js";
    s.onload = function () { done(window.SAFER77_AREAS || []); };
    document.head.appendChild(s);
  }
  function norm(t) { return t.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim(); }
  function find(areas, q) {
    q = norm(q);
    if (!q) { return []; }
    return areas.filter(function (a) {
      return a.number === q || norm(a.name).indexOf(q) !== -1;
    }).slice(0, 8);
  }
  function show(hits) {
    list.innerHTML = "";
    hits.forEach(function (a) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = root + a.href;
      link.textContent = a.name + " (" + a.number + ")";
      li.appendChild(link);
      list.appendChild(li);
    });
  }
  input.addEventListener("input", function () {
    load(function (areas) { show(find(areas, input.value)); });
  });
  input.form.addEventListener("submit", function (e) {
    e.preventDefault();
    load(function (areas) {
      var hits = find(areas, input.value);
      if (hits.length === 1) { window.location.href = root + hits[0].href; } else { show(hits); }
    });
  });
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; load(function (areas) { show(find(areas, q)); }); }
})();
