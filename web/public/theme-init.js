// Applies a saved theme before first paint (a file, not inline, so a strict CSP allows it).
try {
  var theme = localStorage.getItem('agent-lab:theme');
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
} catch (error) {
  console.warn('Agent Lab: saved theme not restored', error);
}
