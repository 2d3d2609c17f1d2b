import fc from 'fast-check';
import { DurationError, formatDuration, parseDuration } from '../../client/duration.js';

describe('parseDuration', () => {
  test.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5h', 5_400_000],
    ['2d', 172_800_000],
    [' 3S ', 3_000],
    ['1m30s500ms', 90_500],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(['', '15', 'm', '5x', '-5s', '0s', '1m1h', '1s1s', 'h1', '1 h', '1e3s', 'NaN', '15m!', '0.0001ms'])(
    'rejects %j with a DurationError',
    (text) => {
      expect(() => parseDuration(text)).toThrow(DurationError);
    }
  );

  const units = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const;

  test('any combination of whole units, largest first, parses to their sum', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 1_000 }), { nil: undefined }), { minLength: 5, maxLength: 5 }),
        (counts) => {
          const parts = units.flatMap(([unit, size], i) =>
            counts[i] === undefined ? [] : ([[counts[i], unit, size]] as const)
          );
          fc.pre(parts.length > 0);
          const text = parts.map(([count, unit]) => `${count}${unit}`).join('');
          const expected = parts.reduce((sum, [count, , size]) => sum + count * size, 0);
          if (expected === 0) expect(() => parseDuration(text)).toThrow(DurationError);
          else expect(parseDuration(text)).toBe(expected);
        }
      )
    );
  });

  test('any string either parses to a positive safe integer or throws a DurationError, nothing else', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.stringMatching(/^[0-9.]{0,6}(ms|s|m|h|d|x)?[0-9]{0,3}(ms|s|m)?$/)),
        (text) => {
          try {
            const ms = parseDuration(text);
            expect(Number.isSafeInteger(ms) && ms > 0).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(DurationError);
          }
        }
      )
    );
  });

  test('formatDuration round-trips whole seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 * 86_400 }), (seconds) => {
        expect(parseDuration(formatDuration(seconds * 1_000))).toBe(seconds * 1_000);
      })
    );
  });
});
