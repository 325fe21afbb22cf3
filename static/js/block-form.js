// Show only the levels of the chosen region; the server checks them again.
(function () {
  var region = document.getElementById("region");
  if (!region) { return; }
  function show() {
    document.querySelectorAll(".level-group").forEach(function (group) {
      var match = group.dataset.region === region.value;
      group.hidden = !match;
      if (!match) {
        group.querySelectorAll("input").forEach(function (box) { box.checked = false; });
      }
    });
  }
  region.addEventListener("change", show);
  show();
})();
