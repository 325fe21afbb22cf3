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

// A bilateral block scored left and right apart asks for a baseline per side; any other
// block for the one baseline. The server asks for the same.
(function () {
  var side = document.getElementById("side");
  var choice = document.getElementById("scoring-choice");
  if (!side || !choice) { return; }
  function show() {
    var bilateral = side.value === "bilateral";
    var picked = choice.querySelector("input:checked");
    var apart = bilateral && (!picked || picked.value === "sides");
    choice.hidden = !bilateral;
    document.querySelector(".one-baseline").hidden = apart;
    document.querySelector(".side-baselines").hidden = !apart;
  }
  side.addEventListener("change", show);
  choice.addEventListener("change", show);
  show();
})();
