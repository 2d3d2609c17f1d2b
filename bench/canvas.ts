/**
 * An RGBA pixel canvas with just what the chart draws: rectangles, thick lines and 5×7 text.
 *
 * @module
 */
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows } from './font.js';
import { encodePng } from './png.js';

export type Color = readonly [red: number, green: number, blue: number];

export class Canvas {
  readonly #pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Color
  ) {
    this.#pixels = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  fillRect(x: number, y: number, width: number, height: number, color: Color): void {
    for (let row = Math.max(0, Math.round(y)); row < Math.min(this.height, Math.round(y + height)); row++) {
      for (let column = Math.max(0, Math.round(x)); column < Math.min(this.width, Math.round(x + width)); column++) {
        this.#pixels.set([...color, 255], (row * this.width + column) * 4);
      }
    }
  }

  /** A line `thickness` pixels wide (square pen). */
  line(x0: number, y0: number, x1: number, y1: number, color: Color, thickness = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const offset = (thickness - 1) / 2;
    for (let step = 0; step <= steps; step++) {
      const x = x0 + ((x1 - x0) * step) / steps;
      const y = y0 + ((y1 - y0) * step) / steps;
      this.fillRect(x - offset, y - offset, thickness, thickness, color);
    }
  }

  /** Text with its top-left corner at (x, y); each font pixel is `scale` × `scale`. */
  text(x: number, y: number, text: string, color: Color, scale = 2): void {
    [...text].forEach((char, index) => {
      const left = x + index * (GLYPH_WIDTH + 1) * scale;
      glyphRows(char).forEach((bits, row) => {
        for (let column = 0; column < GLYPH_WIDTH; column++) {
          if (bits & (1 << (GLYPH_WIDTH - 1 - column))) {
            this.fillRect(left + column * scale, y + row * scale, scale, scale, color);
          }
        }
      });
    });
  }

  textWidth(text: string, scale = 2): number {
    return (text.length * (GLYPH_WIDTH + 1) - 1) * scale;
  }

  textHeight(scale = 2): number {
    return GLYPH_HEIGHT * scale;
  }

  toPng(): Buffer {
    return encodePng(this.width, this.height, this.#pixels);
  }
}
