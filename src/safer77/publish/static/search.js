// Find a community area by name (typos forgiven), number, neighbourhood or ZIP code, with the
// rules of safer77.geo.search (the API's /api/areas/search follows them too). The index ships
// with the site (static/areas.js), so search works offline and from the file system; only a
// street address asks the server, which knows the blocks.
(function () {
  var input = document.getElementById("q");
  var list = document.getElementById("search-results");
  if (!input || !list) { return; }
  var root = input.getAttribute("data-root") || "";
  var MAX_EDITS = 2;
  function load(done) {
    if (window.SAFER77_SEARCH) { done(window.SAFER77_SEARCH); return; }
    var s = document.createElement("script");
    s.src = root + "static/areas.js";
    s.onload = function () {
      done(window.SAFER77_SEARCH || { areas: [], neighbourhoods: [], zips: null });
    };
    document.head.appendChild(s);
  }
  function norm(t) {
    t = t.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    t = t.replace(/&/g, " and ").replace(/'/g, "");
    return t.replace(/[^a-z0-9]+/g, " ").trim();
  }
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) { return limit + 1; }
    var prev = [], i, j;
    for (j = 0; j <= b.length; j++) { prev.push(j); }
    for (i = 1; i <= a.length; i++) {
      var cur = [i], low = i;
      for (j = 1; j <= b.length; j++) {
        cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1,
                          prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
        low = Math.min(low, cur[j]);
      }
      if (low > limit) { return limit + 1; }
      prev = cur;
    }
    return prev[b.length];
  }
  // Every area's name, then every neighbourhood's: {norm, shown, areas, isArea}
  function names(index) {
    var out = index.areas.map(function (a) {
      return { norm: norm(a.name), shown: a.name, areas: [String(a.number)], isArea: true };
    });
    index.neighbourhoods.forEach(function (n) {
      out.push({ norm: norm(n.name), shown: n.name, areas: n.areas.map(String), isArea: false });
    });
    return out;
  }
  function unique(groups) {
    var seen = [];
    groups.forEach(function (g) {
      g.forEach(function (k) { if (seen.indexOf(k) === -1) { seen.push(k); } });
    });
    return seen;
  }
  function count(n) { return n === 1 ? "1 community area" : n + " community areas"; }
  // -> {areas: [numbers as text], message, suggestions}
  function find(index, query) {
    var q = norm(query);
    var byNumber = {};
    index.areas.forEach(function (a) { byNumber[String(a.number)] = a; });
    if (!q) { return { kind: "none", areas: [], message: "Type an area's name or number, a neighbourhood or a ZIP code." }; }
    if (/^[0-9]{1,2}$/.test(q)) {
      var n = String(parseInt(q, 10));
      if (byNumber[n]) { return { kind: "number", areas: [n], message: "Community area " + n + "." }; }
      return { kind: "none", areas: [], message: "There is no community area " + q + ": they are numbered 1 to 77." };
    }
    if (/^[0-9]{5}$/.test(q)) {
      if (!index.zips) {
        return { kind: "zip", areas: [], message: "ZIP code search is not available: this site was built " +
          "without ZIP code boundaries. Search by an area's or a neighbourhood's name instead." };
      }
      var held = (index.zips[q] || []).map(String).filter(function (k) { return byNumber[k]; });
      if (!held.length) { return { kind: "zip", areas: [], message: "ZIP code " + q + " overlaps none of the community areas." }; }
      return { kind: "zip", areas: held, message: "ZIP code " + q + " overlaps " + count(held.length) + "." };
    }
    var all = names(index), i;
    var partial = unique(all.filter(function (x) { return x.norm.indexOf(q) !== -1; })
                            .map(function (x) { return x.areas; }));
    for (i = 0; i < all.length; i++) {
      if (all[i].norm === q) {  // that name first, then the others that hold it
        var m = all[i], held = unique([m.areas, partial]);
        if (m.isArea) { return { kind: "name", areas: held, message: m.shown + "." }; }
        var where = m.areas.map(function (k) { return byNumber[k].name; });
        var last = where.pop();
        return { kind: "neighbourhood", areas: held,
                 message: m.shown + " is in " + (where.length ? where.join(", ") + " and " : "") + last + "." };
      }
    }
    if (partial.length) {
      return { kind: "partial", areas: partial,
               message: count(partial.length) + " with \u201c" + query.trim() + "\u201d in a name." };
    }
    var near = all.map(function (x) { return [distance(q, x.norm, MAX_EDITS), x]; })
      .filter(function (p) { return p[0] <= MAX_EDITS; });
    near.sort(function (a, b) { return a[0] - b[0] || (a[1].norm < b[1].norm ? -1 : 1); });
    if (near.length) {
      var meant = unique(near.slice(0, 3).map(function (p) { return [p[1].shown]; }));
      return { kind: "typo", areas: unique(near.map(function (p) { return p[1].areas; })),
               message: "Did you mean " + meant.join(" or ") + "?" };
    }
    var ranked = all.map(function (x) { return [distance(q, x.norm, 1e9), x]; });
    ranked.sort(function (a, b) { return a[0] - b[0] || (a[1].norm < b[1].norm ? -1 : 1); });
    return { kind: "none", areas: [], message: "No community area or neighbourhood matches \u201c" + query.trim() + "\u201d.",
             suggestions: ranked.slice(0, 3).map(function (p) { return p[1]; }) };
  }
  function link(href, text) {
    var a = document.createElement("a");
    a.href = root + href;
    a.textContent = text;
    return a;
  }
  function item(child) {
    var li = document.createElement("li");
    if (typeof child === "string") { li.textContent = child; } else { li.appendChild(child); }
    list.appendChild(li);
    return li;
  }
  function show(index, found) {
    list.innerHTML = "";
    var byNumber = {};
    index.areas.forEach(function (a) { byNumber[String(a.number)] = a; });
    if (found.kind !== "name" && found.kind !== "number") { item(found.message).className = "note"; }
    found.areas.slice(0, 8).forEach(function (k) {
      var a = byNumber[k];
      item(link(a.href, a.name + " (" + a.number + ")"));
    });
    if (found.suggestions) {
      var p = item("Try ");
      p.className = "note";
      found.suggestions.forEach(function (s, i) {
        p.appendChild(link(byNumber[s.areas[0]].href, s.shown));
        p.appendChild(document.createTextNode(i < found.suggestions.length - 1 ? ", " : ""));
      });
      p.appendChild(document.createTextNode(", or see "));
      p.appendChild(link("areas/index.html", "every community area"));
      p.appendChild(document.createTextNode("."));
    }
  }
  function note(text) {
    list.innerHTML = "";
    item(text).className = "note";
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
          list.innerHTML = "";
          item(link(res[1].page.replace(/^\//, ""), res[1].name + " (" + res[1].number + ")"));
        } else {
          note(res[1].error || "No community area found for that address.");
        }
      })
      .catch(function () { note("Address search is not available here."); });
  }
  input.addEventListener("input", function () {
    if (ADDRESS.test(input.value)) { return; }  // wait for Enter: addresses ask the server
    if (!norm(input.value)) { list.innerHTML = ""; return; }
    load(function (index) { show(index, find(index, input.value)); });
  });
  input.form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (ADDRESS.test(input.value)) { byAddress(input.value); return; }
    load(function (index) {
      var found = find(index, input.value);
      if (found.kind === "number" || found.kind === "name") {  // straight to its page
        var a = index.areas.filter(function (x) { return String(x.number) === found.areas[0]; })[0];
        window.location.href = root + a.href;
      } else {
        show(index, found);
      }
    });
  });
  var q = new URLSearchParams(window.location.search).get("q");
  if (q) { input.value = q; load(function (index) { show(index, find(index, q)); }); }
})();
