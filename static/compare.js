// Compare page: the variant drop-downs follow the study chosen above them.
(function () {
  "use strict";
  var study = document.querySelector("select[data-variant-study]");
  if (!study) {
    return;
  }
  var selects = [document.getElementById("va"), document.getElementById("vb")];

  function fill() {
    var option = study.options[study.selectedIndex];
    var variants = JSON.parse(option.getAttribute("data-variants") || "[]");
    selects.forEach(function (select) {
      var index = Number(select.getAttribute("data-default"));
      select.replaceChildren();
      variants.forEach(function (variant, i) {
        var item = document.createElement("option");
        item.value = variant[0];
        item.textContent = variant[0] + ": " + variant[1];
        item.selected = i === index;
        select.appendChild(item);
      });
    });
  }

  study.addEventListener("change", fill);
})();
