/**
 * A 5×7 pixel font for the chart: digits, capital letters and a little punctuation. Each glyph is seven rows of
 * five bits (the high bit is the left pixel), written as 14 hex digits.
 *
 * @module
 */
const GLYPHS: Record<string, string> = {
  ' ': '00000000000000',
  '0': '0E11131519110E',
  '1': '040C040404040E',
  '2': '0E11010204081F',
  '3': '1F02040201110E',
  '4': '02060A121F0202',
  '5': '1F101E0101110E',
  '6': '0608101E11110E',
  '7': '1F010204080808',
  '8': '0E11110E11110E',
  '9': '0E11110F01020C',
  A: '0E11111F111111',
  B: '1E11111E11111E',
  C: '0E11101010110E',
  D: '1C12111111121C',
  E: '1F10101E10101F',
  F: '1F10101E101010',
  G: '0E11101711110F',
  H: '1111111F111111',
  I: '0E04040404040E',
  J: '0702020202120C',
  K: '11121418141211',
  L: '1010101010101F',
  M: '111B1515111111',
  N: '11111915131111',
  O: '0E11111111110E',
  P: '1E11111E101010',
  Q: '0E11111115120D',
  R: '1E11111E141211',
  S: '0F10100E01011E',
  T: '1F040404040404',
  U: '1111111111110E',
  V: '11111111110A04',
  W: '1111111515150A',
  X: '11110A040A1111',
  Y: '1111110A040404',
  Z: '1F01020408101F',
  '.': '00000000000C0C',
  ',': '000000000C0408',
  '-': '0000001F000000',
  '+': '0004041F040400',
  '(': '02040808080402',
  ')': '08040202020408',
  '/': '00010204081000',
  ':': '000C0C000C0C00',
  '=': '00001F001F0000',
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

/** Rows of the glyph for `char` (upper-cased; unknown characters are blank). */
export function glyphRows(char: string): number[] {
  const hex = GLYPHS[char.toUpperCase()] ?? (GLYPHS[' '] as string);
  return Array.from({ length: GLYPH_HEIGHT }, (_, row) => parseInt(hex.slice(row * 2, row * 2 + 2), 16));
}
