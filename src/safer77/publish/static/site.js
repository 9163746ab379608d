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
