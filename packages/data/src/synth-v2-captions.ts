import type { Rng } from './rng.js';

// The words of synth v2's captions: several templates and synonyms per attribute value, so that
// captions vary in wording while similarity stays graded by what they share (object and colour
// words weigh more than a background word shared by many captions).

/** The attribute values a caption describes, as names (see `SYNTH_V2_ATTRIBUTES`). */
export interface SynthV2CaptionParts {
  /** Fashion-MNIST class name, e.g. `Sandal`. */
  className: string;
  color: string;
  texture: string;
  size: string;
  position: string;
  background: string;
  /** Copies of the object, 1–3. */
  copies: number;
}

/** Singular and plural nouns per Fashion-MNIST class, first the plainest. */
export const SYNTH_V2_NOUNS: Record<string, readonly [string, string][]> = {
  'T-shirt/top': [
    ['t-shirt', 't-shirts'],
    ['top', 'tops'],
    ['tee', 'tees'],
  ],
  Trouser: [
    ['pair of trousers', 'pairs of trousers'],
    ['pair of pants', 'pairs of pants'],
  ],
  Pullover: [
    ['pullover', 'pullovers'],
    ['sweater', 'sweaters'],
    ['jumper', 'jumpers'],
  ],
  Dress: [
    ['dress', 'dresses'],
    ['frock', 'frocks'],
  ],
  Coat: [
    ['coat', 'coats'],
    ['jacket', 'jackets'],
  ],
  Sandal: [['sandal', 'sandals']],
  Shirt: [
    ['shirt', 'shirts'],
    ['blouse', 'blouses'],
  ],
  Sneaker: [
    ['sneaker', 'sneakers'],
    ['running shoe', 'running shoes'],
  ],
  Bag: [
    ['bag', 'bags'],
    ['handbag', 'handbags'],
  ],
  'Ankle boot': [
    ['ankle boot', 'ankle boots'],
    ['boot', 'boots'],
  ],
};

/** Synonyms per attribute value, first the value's own name where it is a word. */
export const SYNTH_V2_SYNONYMS = {
  color: {
    red: ['red', 'crimson'],
    green: ['green', 'emerald'],
    blue: ['blue', 'cobalt'],
    yellow: ['yellow', 'golden'],
    purple: ['purple', 'violet'],
    orange: ['orange', 'tangerine'],
    white: ['white', 'snow-white'],
    pink: ['pink', 'rose'],
  },
  /** Adjectives before the noun. */
  texture: {
    solid: ['solid', 'single-coloured'],
    striped: ['striped', 'stripy'],
    dotted: ['dotted', 'polka-dot'],
    checkered: ['checkered', 'chequered'],
  },
  /** Phrases after the noun. */
  textureWith: {
    solid: ['with no pattern', 'without a pattern'],
    striped: ['with stripes', 'with vertical stripes'],
    dotted: ['with dots', 'with polka dots'],
    checkered: ['with checks', 'with a check pattern'],
  },
  size: {
    small: ['small', 'little', 'tiny'],
    medium: ['medium-sized', 'mid-sized'],
    large: ['large', 'big'],
  },
  position: {
    left: ['on the left', 'at the left'],
    centre: ['in the centre', 'in the middle'],
    right: ['on the right', 'at the right'],
  },
  background: {
    plain: ['plain', 'grey'],
    striped: ['striped', 'lined'],
    checkered: ['checkered', 'chequered'],
    dotted: ['dotted', 'spotted'],
    gradient: ['gradient', 'fading'],
    black: ['black', 'pitch-black'],
  },
  count: {
    1: ['a', 'one', 'a single'],
    2: ['two', 'a couple of'],
    3: ['three', 'a trio of'],
  },
} as const satisfies Record<string, Record<string, readonly string[]>>;

const PREFIXES = ['', 'a photo of ', 'an image of ', 'a picture of '];
const BACKGROUND_PHRASES = ['on a # background', 'against a # backdrop', 'in front of a # background', 'over a # background'];

/** "a" before a vowel sound is "an". */
function article(words: string): string {
  return words.replace(/(^|\s)a (?=[aeiou])/g, '$1an ');
}

/**
 * A caption of `parts` in one of six templates with synonyms picked by `rng`, e.g. "a photo of two
 * small striped red sandals on the left, on a dotted background" or "two little crimson sandals
 * with stripes at the left against a spotted backdrop".
 */
export function synthV2Caption(parts: SynthV2CaptionParts, rng: Rng): string {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const s = SYNTH_V2_SYNONYMS;
  const nouns = SYNTH_V2_NOUNS[parts.className] ?? [[parts.className.toLowerCase(), `${parts.className.toLowerCase()}s`]];
  const n = pick(nouns)[parts.copies === 1 ? 0 : 1];
  const c = pick(s.count[parts.copies as 1 | 2 | 3]);
  const k = pick(s.color[parts.color as keyof typeof s.color]);
  const t = pick(s.texture[parts.texture as keyof typeof s.texture]);
  const tw = pick(s.textureWith[parts.texture as keyof typeof s.textureWith]);
  const z = pick(s.size[parts.size as keyof typeof s.size]);
  const p = pick(s.position[parts.position as keyof typeof s.position]);
  const bw = pick(s.background[parts.background as keyof typeof s.background]);
  const b = pick(BACKGROUND_PHRASES).replace('#', bw);
  const prefix = pick(PREFIXES);
  const templates = [
    () => `${prefix}${c} ${z} ${t} ${k} ${n} ${p}, ${b}`,
    () => `${prefix}${c} ${z} ${k} ${n} ${tw} ${p} ${b}`,
    () => `${prefix}${c} ${k} ${n} ${tw}, ${z}, ${p}, ${b}`,
    () => `a ${bw} background with ${c} ${z} ${t} ${k} ${n} ${p}`,
    () => `${p}, ${c} ${z} ${t} ${k} ${n} ${b}`,
    () => `${prefix}${c} ${z} ${t} ${n} in ${k}, ${p} ${b}`,
  ];
  return article(pick(templates)());
}
