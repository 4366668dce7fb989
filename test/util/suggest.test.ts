import { describe, expect, it } from 'vitest';
import { didYouMean, suggest } from '../../src/util/suggest.js';

describe('suggest', () => {
  it('ranks close names by edit distance, then by name, at most three', () => {
    expect(suggest('bb', ['c', 'a', 'b', 'main.b'])).toEqual(['b', 'a', 'c']);
    expect(suggest('bb', ['c', 'a', 'b'], { max: 2 })).toEqual(['b', 'a']);
    expect(suggest('ordrs', ['orders', 'people', 'totals'])).toEqual(['orders']);
  });

  it('allows max(2, ⌈length/3⌉) edits, ignoring case', () => {
    expect(suggest('Orders', ['ORDERS'])).toEqual(['ORDERS']);
    expect(suggest('abcdefghi', ['abcdefxyz', 'abcdewxyz'])).toEqual(['abcdefxyz']); // 3 edits in, 4 out
    expect(suggest('ab', ['cd', 'cde'])).toEqual(['cd']); // 2 in, 3 out
  });

  it('counts containment of 3+ characters as close', () => {
    expect(suggest('revenu', ['revenue_by_country', 'revenue', 'orders'])).toEqual(['revenue', 'revenue_by_country']);
    expect(suggest('orders_by_day_v2', ['orders'])).toEqual(['orders']);
    expect(suggest('xab', ['ab', 'a'])).toEqual(['ab', 'a']); // by distance, not containment
    expect(suggest('zzzzzab', ['ab'])).toEqual([]);
  });

  it('suggests nothing rather than something far off, and dedupes', () => {
    expect(suggest('zzzz', ['orders', 'people'])).toEqual([]);
    expect(suggest('x', [])).toEqual([]);
    expect(suggest('ordrs', ['orders', 'orders'])).toEqual(['orders']);
  });

  it('phrases the hint', () => {
    expect(didYouMean(['a', 'b'])).toBe("did you mean 'a', 'b'?");
    expect(didYouMean([])).toBeUndefined();
  });
});
