// Runs once when the page loads (gr.HTML js_on_load). Everything here is delegated from the document,
// because Gradio re-renders the chat and the panels: opening a source in the viewer, following [n]
// markers, copying an answer, filtering the glossary, and bringing each new answer into view from its top.

// A source, a note or a page to show in the viewer: the server resolves it from the session's answers.
document.addEventListener('click', (event) => {
  const link = event.target.closest('a.open-here, a.open-note, a.view-page');
  if (!link) return;
  event.preventDefault();
  let value = '';
  if (link.classList.contains('open-here')) {
    value = 'cite:' + link.id.replace(/^open-/, '');
  } else if (link.classList.contains('open-note')) {
    value = 'note:' + link.getAttribute('href').replace(/^#note:/, '');
  } else {
    const match = link.getAttribute('href').match(/^library\/([^#\/]+)#page=(\d+)$/);
    if (!match) return;
    value = 'page:' + decodeURIComponent(match[1]) + ':' + match[2];
  }
  trigger('select', { index: 0, value: value });
});

// [n] markers: scroll to the numbered source in the same answer and flash it.
document.addEventListener('click', (event) => {
  const cite = event.target.closest('a.cite');
  if (!cite) return;
  const target = document.getElementById(cite.getAttribute('href').slice(1));
  if (!target) return;
  event.preventDefault();
  target.scrollIntoView({ block: 'center', behavior: 'smooth' });
  target.classList.remove('flash');
  void target.offsetWidth;
  target.classList.add('flash');
});

// Copy an answer as text, with formulas back in $…$ form.
const answerText = (answer) => {
  const clone = answer.cloneNode(true);
  clone.querySelectorAll('.katex').forEach((k) => {
    const tex = k.querySelector('annotation');
    const display = k.parentElement && k.parentElement.classList.contains('katex-display');
    k.replaceWith(tex ? (display ? '$$' + tex.textContent + '$$' : '$' + tex.textContent + '$') : k.textContent);
  });
  clone.querySelectorAll('.answer-actions').forEach((x) => x.remove());
  clone.querySelectorAll('p, li, summary, blockquote, .answer-title, .sources-title, .src-links, .src-quote, .next-where, .next-why')
    .forEach((block) => block.append('\n'));
  return clone.textContent.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim();
};
document.addEventListener('click', async (event) => {
  const button = event.target.closest('a.copy-answer');
  if (!button) return;
  event.preventDefault();
  const answer = button.closest('.answer');
  if (!answer) return;
  const text = answerText(answer);
  try {
    await navigator.clipboard.writeText(text);
  } catch (err) {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  button.classList.add('copied');
  setTimeout(() => button.classList.remove('copied'), 1500);
});

// The glossary filters in the browser: every form of a term and both definitions are in data-search.
const filterGlossary = (needle) => {
  const words = needle.toLowerCase().trim();
  let shown = 0;
  document.querySelectorAll('#glossary .term').forEach((term) => {
    const hit = !words || term.dataset.search.includes(words);
    term.hidden = !hit;
    if (hit) shown += 1;
  });
  const none = document.querySelector('#glossary .terms-none');
  if (none) none.hidden = shown > 0;
  const count = document.querySelector('#glossary .terms-count');
  if (count) count.textContent = words ? count.dataset.some.replace('{shown}', shown) : count.dataset.all;
};
document.addEventListener('input', (event) => {
  if (event.target.closest && event.target.closest('#glossary-search')) filterGlossary(event.target.value);
});

// Each new answer is brought into view from its top (title first), once: the chat's own box scrolls, and the
// window moves only as far as needed to show the title, so the header stays on screen (or one swipe away).
const seen = new Set();
document.querySelectorAll('#chat .answer[id]').forEach((a) => seen.add(a.id));
const scroller = (el) => {
  for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
    const style = getComputedStyle(box);
    if (/(auto|scroll)/.test(style.overflowY) && box.scrollHeight > box.clientHeight + 2) return box;
  }
  return null;
};
const showTop = (answer) => {
  const box = scroller(answer);
  if (box) box.scrollTop += answer.getBoundingClientRect().top - box.getBoundingClientRect().top - 4;
  const top = answer.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight - 80) window.scrollBy(0, top - Math.min(120, window.innerHeight / 4));
};
new MutationObserver(() => {
  const answers = document.querySelectorAll('#chat .answer[id]');
  const newest = answers[answers.length - 1];
  if (!newest || seen.has(newest.id)) return;
  answers.forEach((a) => seen.add(a.id));
  requestAnimationFrame(() => showTop(newest));
}).observe(document.body, { childList: true, subtree: true });

// A page opened in the viewer scrolls to its highlighted quote once the image has its size: inside the page's
// own box on a desktop (the chat stays where it is), in the window on a phone.
const scrollable = (el) => el && el.scrollHeight > el.clientHeight + 2;
new MutationObserver(() => {
  const image = document.querySelector('#viewer img.page-image:not([data-placed])');
  if (!image) return;
  image.dataset.placed = '1';
  const place = () => {
    const mark = image.parentElement.querySelector('.hl') || image;
    const pageBox = image.closest('.page-scroll');
    const box = mark.getBoundingClientRect();
    if (window.innerWidth >= 900) {
      if (scrollable(pageBox)) pageBox.scrollTop += box.top - pageBox.getBoundingClientRect().top - pageBox.clientHeight / 3;
    } else {
      window.scrollBy(0, box.top - window.innerHeight / 3);
    }
  };
  if (image.complete) place(); else image.addEventListener('load', place, { once: true });
}).observe(document.body, { childList: true, subtree: true });
