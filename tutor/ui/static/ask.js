// Runs once when the page loads (gr.HTML js_on_load): any element with class "ask-q" (a suggested
// question, a read-next item, a reading's "ask" chip, the Study tab's "Ask the tutor about …") or a node of
// the map asks its question: `data-q`, else a link's `#ask:<question>` fragment (Markdown drops data-*), else
// its text. `trigger` sends it to the server as a select event whose value is the question.
const fragment = (target) => {
  const href = target.getAttribute && target.getAttribute('href');
  if (!href || !href.startsWith('#ask:')) return '';
  try { return decodeURIComponent(href.slice(5)); } catch (err) { return ''; }
};
const ask = (target) => {
  const dragged = target.closest('[data-dragged]');
  if (dragged && dragged.dataset.dragged === '1') return false;
  const question = (target.dataset && target.dataset.q) || fragment(target) || target.textContent.trim();
  if (!question) return false;
  trigger('select', { index: 0, value: question });
  return true;
};
document.addEventListener('click', (event) => {
  const target = event.target.closest('.ask-q, .map-node');
  if (!target) return;
  event.preventDefault();
  ask(target);
});
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' && event.key !== ' ') return;
  const target = event.target.closest && event.target.closest('.map-node');
  if (target && ask(target)) event.preventDefault();
});
