// Where find's highlights (and a selection) fall on a page. pdf.js covers each run of text
// with an invisible copy (the text layer), laid out by the browser in a font it picks from
// a generic family and stretched to the run's width: inside the run each letter sits where
// that font puts it, not where the PDF draws it, and a highlight drifts off its word along
// the line. Two corrections to the text content pdf.js hands its text layer:
//  - a run is laid out in the PDF's own font. To draw the page pdf.js has already loaded
//    each embedded font into the document, a FontFace named as the run's font, its glyphs
//    reachable by their Unicode letters too; with it every letter takes the width the page
//    gives it. The generic family stays behind it, for a font pdf.js could not load or a
//    letter the font lacks.
//  - an OCR'd page's words are placed at their boxes on the scan (viewer-ocr.mjs).
import {ocrWords, placeWords} from "/static/viewer-ocr.mjs";

const TESSERACT_FONT = "GlyphLessFont";

function loadedFont(page, name) {
  // set once the page has been drawn with it: the text layer is built after the drawing
  return page.commonObjs.has(name) ? page.commonObjs.get(name) : null;
}

function ownFonts(page, styles) {
  const tesseract = new Set();
  for (const [name, style] of Object.entries(styles)) {
    const font = loadedFont(page, name);
    if (!font || font.isType3Font) continue;
    if (font.name === TESSERACT_FONT) tesseract.add(name);   // glyphless: nothing to take
    else style.fontFamily = `"${name}", ${style.fontFamily}`;
  }
  return tesseract;
}

async function aligned(page, chunks) {
  const styles = Object.assign({}, ...chunks.map((c) => c.styles));
  let items = chunks.flatMap((c) => c.items);
  const tesseract = ownFonts(page, styles);
  if (tesseract.size) {
    // the page's text as pdf.js gave it when its drawing cannot be read (a page closed
    // meanwhile): a highlight a letter short, never no text layer
    const words = await ocrWords(page, tesseract).catch(() => null);
    items = (words && placeWords(items, tesseract, words)) ?? items;
  }
  return {items, styles, lang: chunks.find((c) => c.lang)?.lang ?? null};
}

// The page's text content, read whole (a page's text is small), corrected as above.
export function alignTextLayer(page) {
  if (page.textLayerAligned) return page;
  const stream = page.streamTextContent.bind(page);
  page.streamTextContent = (params) => {
    const chunks = [];
    return stream(params).pipeThrough(new TransformStream({
      transform(chunk) { chunks.push(chunk); },
      async flush(out) { if (chunks.length) out.enqueue(await aligned(page, chunks)); },
    }));
  };
  page.textLayerAligned = true;
  return page;
}
