/* The plan grid's scope picker fills the key of the chosen group, audience or region. */
(function () {
  "use strict";
  var pick = document.getElementById("scope-pick");
  var key = document.getElementById("scope-key");
  if (!pick || !key) { return; }
  pick.addEventListener("change", function () {
    var option = pick.options[pick.selectedIndex];
    key.value = option.getAttribute("data-key") || "";
  });
})();
