// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // "select all" checkbox for bulk actions on the hit list
  const all = document.querySelector("[data-select-all]");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll("input[name=hit_id]").forEach((cb) => { cb.checked = all.checked; });
    });
  }
  // confirm before destructive actions
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (ev) => { if (!window.confirm(el.dataset.confirm)) ev.preventDefault(); });
  });
});
