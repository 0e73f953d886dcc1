// The document viewer: a PDF (a version's rendition, a generated form) shown with pdf.js,
// from /static/pdfjs (scripts/pdfjs.sh), never a CDN. pdf.js runs without eval
// (isEvalSupported: false), without WebAssembly and without PDF scripting (no scripting
// manager, no pdf.sandbox, no form fields): a PDF's JavaScript, its open action or its
// embedded files never run. Every text shown comes from the page's data-* attributes.
import * as pdfjsLib from "/static/pdfjs/build/pdf.min.mjs";
import {alignTextLayer} from "/static/viewer-text.mjs";

const PDFJS = "/static/pdfjs/";
pdfjsLib.GlobalWorkerOptions.workerSrc = PDFJS + "build/pdf.worker.min.mjs";
globalThis.pdfjsLib = pdfjsLib;   // pdf_viewer.mjs reads the library from there
const viewerLib = await import(PDFJS + "web/pdf_viewer.mjs");
const {EventBus, PDFLinkService, PDFFindController, PDFViewer, FindState, LinkTarget} = viewerLib;

const THUMB_WIDTH = 120;

function fill(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

// pdf.js asks its own l10n object for a few labels (each page's "Page N" landmark);
// these come from our catalog, the others are left as pdf.js has them.
function labels(root) {
  const ids = {"pdfjs-page-landmark": ["aria-label", root.dataset.pageLabel]};
  const apply = (el) => {
    const [attr, template] = ids[el.getAttribute("data-l10n-id")] || [];
    if (!attr) return;
    const args = JSON.parse(el.getAttribute("data-l10n-args") || "{}");
    el.setAttribute(attr, fill(template, args));
  };
  const all = (el) => { apply(el); el.querySelectorAll("[data-l10n-id]").forEach(apply); };
  return {
    getLanguage: () => document.documentElement.lang || "ro",
    getDirection: () => "ltr",
    get: async (id, args, fallback) => fallback,
    translate: async (el) => all(el),
    translateOnce: async (el) => all(el),
    pause() {}, resume() {}, destroy: async () => {},
  };
}

// the words of a search (quotes, operators and a field's name left out): each is looked
// for on its own, as the search engine matched them
function searched(q) {
  return q.replace(/["()*+]/g, " ").split(/\s+/)
    .filter((w) => w && !/^(AND|OR|NOT|-.*|\w+:)$/.test(w));
}

function isTyping(target) {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement ||
         target instanceof HTMLSelectElement;
}

class Viewer {
  constructor(root) {
    this.root = root;
    this.status = root.querySelector(".viewer-status");
    this.pageInput = root.querySelector(".viewer-page");
    this.of = root.querySelector(".viewer-of");
    this.zoom = root.querySelector(".viewer-zoom");
    this.findInput = root.querySelector(".viewer-find-input");
    this.thumbs = root.querySelector(".viewer-thumbs");
    this.scroll = root.querySelector(".viewer-scroll");
    this.eventBus = new EventBus();
    this.links = new PDFLinkService({eventBus: this.eventBus, externalLinkTarget: LinkTarget.BLANK,
                                     externalLinkRel: "noopener noreferrer nofollow"});
    this.find = new PDFFindController({eventBus: this.eventBus, linkService: this.links});
    this.pdf = new PDFViewer({
      container: this.scroll, eventBus: this.eventBus, linkService: this.links,
      findController: this.find, l10n: labels(root),
      // links are followed; form fields, their actions and every script are not
      annotationMode: pdfjsLib.AnnotationMode.ENABLE,
      annotationEditorMode: pdfjsLib.AnnotationEditorType.DISABLE,
      removePageBorders: false,
    });
    this.links.setViewer(this.pdf);
    this.wire();
  }

  say(text) { this.status.textContent = text; }

  async open() {
    this.say(this.root.dataset.loading);
    this.root.setAttribute("aria-busy", "true");
    try {
      const doc = await pdfjsLib.getDocument({
        url: this.root.dataset.src, isEvalSupported: false, enableXfa: false,
        useWasm: false, wasmUrl: PDFJS + "wasm/",
        cMapUrl: PDFJS + "cmaps/", cMapPacked: true,
        standardFontDataUrl: PDFJS + "standard_fonts/",
      }).promise;
      this.doc = doc;
      // every page's text layer laid over the words as drawn (viewer-text.mjs)
      const getPage = doc.getPage.bind(doc);
      doc.getPage = async (n) => alignTextLayer(await getPage(n));
      this.pdf.setDocument(doc);
      this.links.setDocument(doc, null);
      this.of.textContent = "/ " + doc.numPages;
      this.pageInput.max = String(doc.numPages);
      this.buildThumbs(doc.numPages);
      this.say("");
      this.root.dataset.state = "ready";
    } catch (err) {
      this.say(this.root.dataset.error);
      this.root.dataset.state = "error";
    } finally {
      this.root.removeAttribute("aria-busy");
    }
  }

  wire() {
    const bus = this.eventBus, root = this.root;
    bus.on("pagesinit", () => {
      this.pdf.currentScaleValue = "page-width";
      const words = searched(root.dataset.q || "");
      if (words.length) this.search(words, "");
    });
    bus.on("pagechanging", ({pageNumber}) => {
      this.pageInput.value = String(pageNumber);
      root.dataset.page = String(pageNumber);
      this.markThumb(pageNumber);
    });
    bus.on("scalechanging", ({scale}) => { this.zoom.value = Math.round(scale * 100) + "%"; });
    bus.on("updatefindcontrolstate", ({state, matchesCount}) => this.found(state, matchesCount));
    bus.on("updatefindmatchescount", ({matchesCount}) => this.found(FindState.FOUND, matchesCount));

    root.querySelector(".viewer-toolbar").addEventListener("click", (e) => {
      const act = e.target.closest("[data-act]")?.dataset.act;
      if (act) this.act(act);
    });
    this.pageInput.addEventListener("change", () => this.go(parseInt(this.pageInput.value, 10)));
    root.querySelector(".viewer-find").addEventListener("submit", (e) => {
      e.preventDefault();
      this.search(searched(this.findInput.value), "");
    });
    this.toggle = root.querySelector(".viewer-thumbs-toggle");
    this.toggle?.addEventListener("click", () => this.showThumbs(this.thumbs.hidden));
    // narrow screens: the pages first, the thumbnails on demand, over the pages
    this.narrow = window.matchMedia("(max-width: 720px)");
    if (this.thumbs && this.narrow.matches) this.showThumbs(false);
    root.addEventListener("keydown", (e) => this.key(e));
  }

  key(e) {
    if (e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return;
    const acts = {PageDown: "next", PageUp: "prev", ArrowRight: "next", ArrowLeft: "prev",
                  Home: "first", End: "last", "+": "zoom-in", "=": "zoom-in", "-": "zoom-out"};
    const act = acts[e.key];
    if (!act || !this.doc) return;
    e.preventDefault();
    this.act(act);
  }

  act(act) {
    if (!this.doc) return;
    const pdf = this.pdf;
    switch (act) {
      case "next": pdf.nextPage(); break;
      case "prev": pdf.previousPage(); break;
      case "first": this.go(1); break;
      case "last": this.go(this.doc.numPages); break;
      case "zoom-in": pdf.increaseScale(); break;
      case "zoom-out": pdf.decreaseScale(); break;
      case "fit": pdf.currentScaleValue = "page-width"; break;
      case "find-next": this.search(searched(this.findInput.value), "again", false); break;
      case "find-prev": this.search(searched(this.findInput.value), "again", true); break;
    }
  }

  showThumbs(open) {
    this.toggle.setAttribute("aria-expanded", String(open));
    this.thumbs.hidden = !open;
    if (open) this.markThumb(this.pdf.currentPageNumber || 1, "center");   // the page read
  }

  go(page) {
    if (!this.doc || !(page >= 1)) return;
    this.pdf.currentPageNumber = Math.min(page, this.doc.numPages);
  }

  // `words` found each on its own, as the search engine matched them: the find box holds
  // a search hit's words, and "next" must go on finding them, not them as one phrase
  search(words, type, previous = false) {
    if (!words.length) return;
    // diacritics and case ignored, as Procedura's search does
    this.eventBus.dispatch("find", {source: this, type, query: words, caseSensitive: false,
      entireWord: false, highlightAll: true, findPrevious: previous, matchDiacritics: false});
  }

  found(state, count) {
    const root = this.root;
    if (state === FindState.NOT_FOUND) {
      root.dataset.find = "none";
      this.say(root.dataset.notFound);
    } else if (state === FindState.FOUND || state === FindState.WRAPPED) {
      root.dataset.find = "found";
      if (count && count.total) this.say(fill(root.dataset.found, count));
    }
  }

  // thumbnails: the page images of the API, each asked for only when it scrolls into view
  buildThumbs(pages) {
    const base = this.root.dataset.pagesUrl;
    if (!this.thumbs || !base) return;
    const list = this.thumbs.querySelector("ol");
    const label = this.root.dataset.thumbLabel;
    const seen = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const img = entry.target;
        img.src = img.dataset.src;
        seen.unobserve(img);
      }
    }, {root: this.thumbs, rootMargin: "200px 0px"});
    for (let n = 1; n <= pages; n++) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = "#page=" + n;
      a.setAttribute("aria-label", fill(label, {page: n}));
      a.addEventListener("click", (e) => {
        e.preventDefault();
        this.go(n);
        if (this.narrow.matches) this.showThumbs(false);   // the drawer gives way to the page
      });
      const img = document.createElement("img");
      img.alt = "";
      img.width = THUMB_WIDTH;
      img.dataset.src = base + n + "?width=" + THUMB_WIDTH;
      const num = document.createElement("span");
      num.textContent = String(n);
      a.append(img, num);
      li.append(a);
      list.append(li);
      seen.observe(img);
    }
    this.markThumb(1);
  }

  markThumb(page, block = "nearest") {
    if (!this.thumbs) return;
    this.thumbs.querySelectorAll("a[aria-current]").forEach((a) => a.removeAttribute("aria-current"));
    const a = this.thumbs.querySelectorAll("a")[page - 1];
    if (!a) return;
    a.setAttribute("aria-current", "page");
    if (!this.thumbs.hidden) a.scrollIntoView({block});
  }
}

// a version whose rendition is being made: ask again now and then (for one byte of it),
// show it once made
function poll(box) {
  let tries = 0;
  const ask = () => {
    fetch(box.dataset.poll, {headers: {Range: "bytes=0-0"}, credentials: "same-origin"}).then((r) => {
      if (r.ok) location.reload();
      else if (r.status === 409 && ++tries < 120) setTimeout(ask, 5000);
    }).catch(() => {});
  };
  setTimeout(ask, 3000);
}

function start(root) {
  if (root.dataset.started) return;
  root.dataset.started = "1";
  new Viewer(root).open();
}

for (const root of document.querySelectorAll(".viewer")) {
  // a viewer inside a closed <details> (the signing inbox) starts when it is opened
  const details = root.closest("details");
  if (details && !details.open) details.addEventListener("toggle", () => start(root), {once: true});
  else start(root);
}
document.querySelectorAll(".viewer-pending[data-poll]").forEach(poll);
