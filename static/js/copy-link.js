// "Copy link" buttons: copy the text of the input named by data-copy-target.
document.querySelectorAll(".copy-button").forEach(function (button) {
  button.addEventListener("click", function () {
    var source = document.getElementById(button.dataset.copyTarget);
    var status = button.parentElement.querySelector(".copy-status");
    function done(message) { if (status) { status.textContent = message; } }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(
        function () { done("Copied."); },
        function () { source.select(); done("Select and copy the link."); });
    } else {
      source.select();
      done(document.execCommand("copy") ? "Copied." : "Select and copy the link.");
    }
  });
});
