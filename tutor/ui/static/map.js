// The map's own behaviour (gr.HTML js_on_load; `element` is the map component): zoom with the buttons or
// Ctrl+wheel, pan by dragging with a mouse (touch scrolls natively), and a tooltip for the node under the
// pointer. A click on a node is handled by the page's ask script; a drag is not a click.
let zoom = 1;
const box = () => element.querySelector('.map-box');
const svg = () => element.querySelector('.map-svg');
const apply = () => {
  const s = svg();
  if (!s) return;
  s.setAttribute('width', Math.round(s.dataset.width * zoom));
  s.setAttribute('height', Math.round(s.dataset.height * zoom));
  element.dataset.zoom = zoom.toFixed(2);
};
const setZoom = (next) => {
  zoom = Math.min(3, Math.max(0.3, next));
  apply();
};
element.addEventListener('click', (event) => {
  const button = event.target.closest('.map-zoom');
  if (!button) return;
  const how = button.dataset.zoom;
  if (how === 'in') setZoom(zoom * 1.25);
  else if (how === 'out') setZoom(zoom / 1.25);
  else if (svg() && box()) setZoom(box().clientWidth / svg().dataset.width);
});
element.addEventListener('wheel', (event) => {
  if (!event.ctrlKey || !event.target.closest('.map-box')) return;
  event.preventDefault();
  setZoom(zoom * (event.deltaY < 0 ? 1.1 : 1 / 1.1));
}, { passive: false });

let drag = null;
element.addEventListener('pointerdown', (event) => {
  if (event.pointerType !== 'mouse' || !event.target.closest('.map-box')) return;
  const b = box();
  drag = { x: event.clientX, y: event.clientY, left: b.scrollLeft, top: b.scrollTop, moved: false };
  element.dataset.dragged = '0';
});
window.addEventListener('pointermove', (event) => {
  if (!drag) return;
  const dx = event.clientX - drag.x;
  const dy = event.clientY - drag.y;
  if (Math.abs(dx) + Math.abs(dy) > 5) drag.moved = true;
  if (drag.moved) {
    box().scrollLeft = drag.left - dx;
    box().scrollTop = drag.top - dy;
    element.dataset.dragged = '1';
  }
});
window.addEventListener('pointerup', () => {
  if (drag && drag.moved) setTimeout(() => { element.dataset.dragged = '0'; }, 50);
  drag = null;
});

const tip = () => element.querySelector('.map-tip');
element.addEventListener('pointerover', (event) => {
  const node = event.target.closest('.map-node');
  const t = tip();
  if (!node || !t) return;
  const source = element.querySelector('.map-tips .tip[data-for="' + node.dataset.id + '"]');
  if (!source) return;
  t.innerHTML = source.innerHTML;
  const host = element.querySelector('.map').getBoundingClientRect();
  const rect = node.getBoundingClientRect();
  t.style.left = Math.max(0, Math.min(rect.left - host.left, host.width - 300)) + 'px';
  t.style.top = (rect.bottom - host.top + 6) + 'px';
  t.hidden = false;
});
element.addEventListener('pointerout', (event) => {
  const node = event.target.closest('.map-node');
  if (node && !node.contains(event.relatedTarget) && tip()) tip().hidden = true;
});
watch('value', apply);
