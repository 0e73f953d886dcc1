// The words of an OCR'd page where the scan shows them. Tesseract writes each word it read
// in its GlyphLessFont (every glyph as wide), moved to the word's place on the scan and
// stretched, with the space after it, over the word's box (Tesseract 4.1 to 5.3,
// tesseract-ocr/tesseract#2879). pdf.js's text content keeps neither: it drops that space
// and joins a short word to the next into one run ("la registratură") when the gap after it
// is under 0.6 em, where the text layer then spreads the letters evenly. The page's drawing
// instructions hold each word's own start and width: they are replayed here (text and
// transformation matrices, font size, horizontal scaling) and each word of a run becomes a
// run of its own, at its box, the spaces between as runs of their own, so the page's text
// reads the same.
import {OPS} from "/static/pdfjs/build/pdf.min.mjs";

const multiply = (m, n) => [
  m[0] * n[0] + m[2] * n[1], m[1] * n[0] + m[3] * n[1],
  m[0] * n[2] + m[2] * n[3], m[1] * n[2] + m[3] * n[3],
  m[0] * n[4] + m[2] * n[5] + m[4], m[1] * n[4] + m[3] * n[5] + m[5]];
const apply = (m, x, y) => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
const IDENTITY = [1, 0, 0, 1, 0, 0];

// [{text, start: [x, y], end: [x, y]}] of every word shown in one of `fonts`, in order
export async function ocrWords(page, fonts) {
  const {fnArray, argsArray} = await page.getOperatorList();
  const words = [], stack = [];
  let ctm = IDENTITY, tm = IDENTITY, line = IDENTITY;
  let font = null, size = 0, hscale = 1, leading = 0;
  const move = (x, y) => { line = multiply(line, [1, 0, 0, 1, x, y]); tm = line; };
  fnArray.forEach((fn, i) => {
    const args = argsArray[i];
    switch (fn) {
      case OPS.save: stack.push(ctm); break;
      case OPS.restore: ctm = stack.pop() ?? IDENTITY; break;
      case OPS.transform: ctm = multiply(ctm, args); break;
      case OPS.paintFormXObjectBegin: stack.push(ctm); if (args[0]) ctm = multiply(ctm, args[0]); break;
      case OPS.paintFormXObjectEnd: ctm = stack.pop() ?? IDENTITY; break;
      case OPS.beginText: tm = line = IDENTITY; break;
      case OPS.setTextMatrix: tm = line = Array.from(args.length === 1 ? args[0] : args); break;
      case OPS.moveText: move(args[0], args[1]); break;
      case OPS.setLeadingMoveText: leading = -args[1]; move(args[0], args[1]); break;
      case OPS.setLeading: leading = -args[0]; break;
      case OPS.nextLine: move(0, -leading); break;
      case OPS.setFont: [font, size] = args; break;
      case OPS.setHScale: hscale = args[0] / 100; break;
      case OPS.showText: {
        let advance = 0, text = "";
        for (const glyph of args[0]) {
          if (typeof glyph === "number") advance -= glyph * size / 1000;
          else { advance += glyph.width * size / 1000; text += glyph.unicode; }
        }
        advance *= hscale;
        if (fonts.has(font)) {
          const m = multiply(ctm, tm);
          words.push({text: text.trim(), start: apply(m, 0, 0), end: apply(m, advance, 0)});
        }
        tm = multiply(tm, [1, 0, 0, 1, advance, 0]);
        break;
      }
    }
  });
  return words;
}

// `items` with each run of `fonts` cut into its words, each at its box; null when the
// drawing and the text content do not tell the same words
export function placeWords(items, fonts, words) {
  const placed = [];
  let next = 0;
  for (const item of items) {
    if (!fonts.has(item.fontName) || !item.str.trim()) { placed.push(item); continue; }
    const pieces = item.str.split(/(\s+)/).filter(Boolean);
    let at = item.transform.slice(4);
    for (const [k, piece] of pieces.entries()) {
      const last = k === pieces.length - 1;
      if (/^\s+$/.test(piece)) {
        const to = last ? at : words[next]?.start ?? at;
        placed.push({...item, str: piece, hasEOL: last && item.hasEOL, height: 0,
                     width: Math.hypot(to[0] - at[0], to[1] - at[1]),
                     transform: [...item.transform.slice(0, 4), ...at]});
        continue;
      }
      const word = words[next++];
      if (!word || word.text !== piece) return null;
      placed.push({...item, str: piece, hasEOL: last && item.hasEOL,
                   width: Math.hypot(word.end[0] - word.start[0], word.end[1] - word.start[1]),
                   transform: [...item.transform.slice(0, 4), ...word.start]});
      at = word.end;
    }
  }
  return placed;
}
