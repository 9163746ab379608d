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
  function note(text) {
    list.innerHTML = "";
    var li = document.createElement("li");
    li.textContent = text;
    list.appendChild(li);
  }
  // An address ("6312 S Halsted St") is placed by the server, from the blocks in the data.
  var ADDRESS = /^\s*[0-9]+\s+[NSEWnsew][A-Za-z]*\.?\s+\S/;
  function byAddress(q) {
    if (!/^https?:$/.test(window.location.protocol)) {
      note("Address search needs the safer77 server; search by area name or number instead.");
      return;
    }
    fetch("/api/areas/by-address?address=" + encodeURIComponent(q))
      .then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
      .then(function (res) {
        if (res[0]) {
          show([{ name: res[1].name, number: String(res[1].number),
                  href: res[1].page.replace(/^\//, "") }]);
        } else {
          note(res[1].error || "No community area found for that address.");
        }
      })
      .catch(function () { note("Address search is not available here."); });
  }
  input.addEventListener("input", function () {
    if (ADDRESS.test(input.value)) { return; }  // wait for Enter: addresses ask the server
    load(function (areas) { show(find(areas, input.value)); });
  });
  input.form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (ADDRESS.test(input.value)) { byAddress(input.value); return; }
    load(function (areas) {
      var hits = find(areas, input.value);
      if (hits.length === 1) { window.location.href = root + hits[0].href; } else { show(hits); }
    });
  });
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; load(function (areas) { show(find(areas, q)); }); }
})();
