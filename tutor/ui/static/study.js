// Runs once when the Study tab's progress loads (gr.HTML js_on_load; `element` is the progress component). A
// click on a concept practises it now, prerequisites or not: its id goes to the server as a select event, and
// the question area comes into view for the item that arrives.
element.addEventListener('click', (event) => {
  const node = event.target.closest('a.study-node');
  if (!node) return;
  event.preventDefault();
  trigger('select', { index: 0, value: node.getAttribute('href').replace(/^#study:/, '') });
  const area = document.getElementById('study-choose');
  if (area) area.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
});
