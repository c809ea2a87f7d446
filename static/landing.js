// Landing and share pages. No data is ever written into the page as markup:
// labels change through textContent only (RELIABILITY.md, XSS).
"use strict";

(function () {
  function copyText(input) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(input.value);
    }
    // Plain-HTTP fallback: select the text and use the legacy copy command.
    input.focus();
    input.select();
    return document.execCommand("copy") ? Promise.resolve() : Promise.reject();
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector(".lp-copied");
    if (!input) {
      return;
    }
    input.addEventListener("focus", function () {
      input.select();
    });
    button.addEventListener("click", function () {
      copyText(input).then(
        function () {
          button.textContent = "Copied";
          if (status) {
            status.textContent = "Your link is on the clipboard. Paste it anywhere.";
          }
          window.setTimeout(function () {
            button.textContent = "Copy";
          }, 2500);
        },
        function () {
          input.select();
          if (status) {
            status.textContent = "Press Ctrl+C (or \u2318C) to copy the selected link.";
          }
        }
      );
    });
  });

  // Phones offer their own share sheet; the plain links stay for everyone else.
  document.querySelectorAll("[data-native-share]").forEach(function (button) {
    if (!navigator.share) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator
        .share({
          title: button.dataset.title,
          text: button.dataset.text,
          url: button.dataset.url,
        })
        .catch(function () {
          // Closing the share sheet is not an error worth showing.
        });
    });
  });

  // A form sent back with errors (422): move focus to the first field to fix and
  // say so in the title, which screen readers announce first. Once, even if the
  // page is shown again from the back-forward cache.
  var firstInvalid = document.querySelector('[aria-invalid="true"]');
  if (firstInvalid) {
    firstInvalid.focus();
    if (document.title.indexOf("Error: ") !== 0) {
      document.title = "Error: " + document.title;
    }
  }

  // One sign-up per press: a double click must not send the form twice.
  document.querySelectorAll("form[data-signup]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        window.setTimeout(function () {
          button.disabled = true;
          button.textContent = "Signing you up\u2026";
        }, 0);
      }
    });
  });
})();
