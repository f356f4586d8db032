// Ctrl+Enter (Cmd+Enter) saves from anywhere in the form, also inside a text box.
document.querySelector("form.card").addEventListener("keydown", function (event) {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); this.requestSubmit(); }
});
