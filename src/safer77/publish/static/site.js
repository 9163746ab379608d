// The main menu folds behind a "Menu" button on narrow screens. Without scripts every link
// stays visible: the button only appears when this runs.
(function () {
  var button = document.querySelector(".menu-toggle");
  var links = document.getElementById("nav-links");
  if (!button || !links) { return; }
  document.documentElement.classList.add("js");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    links.classList.toggle("open", open);
  });
})();

// Share links: the page's address (its canonical link when the site knows its address,
// otherwise the address bar's when served over http(s)) is put into the links here, so the
// pages themselves point at no other host; without a script they stay hidden.
(function () {
  var share = document.querySelector("aside.share");
  if (!share) { return; }
  var canonical = document.querySelector("link[rel=canonical]");
  var served = /^https?:$/.test(window.location.protocol);
  if (!canonical && !served) { return; }
  var url = canonical ? canonical.href : window.location.href.split("#")[0];
  var title = document.title.replace(/ · safer77$/, "");
  var e = encodeURIComponent;
  var hrefs = {
    email: "mailto:?subject=" + e(title) + "&body=" + e(url),
    bluesky: "https://bsky.app/intent/compose?text=" + e(title + " " + url),
    x: "https://x.com/intent/post?text=" + e(title) + "&url=" + e(url),
    facebook: "https://www.facebook.com/sharer/sharer.php?u=" + e(url)
  };
  share.querySelectorAll("a[data-share]").forEach(function (a) {
    a.href = hrefs[a.getAttribute("data-share")];
  });
  share.hidden = false;
  var copy = share.querySelector(".copy-link");
  if (copy && navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(url).then(function () { copy.textContent = "Link copied"; });
    });
  }
})();
