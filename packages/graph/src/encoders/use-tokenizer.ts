// The Universal Sentence Encoder lite's tokenizer: a SentencePiece unigram model whose pieces and
// log-probabilities ship in vocab.json. Encoding finds the most probable segmentation with a
// Viterbi pass over a lattice of vocabulary matches, as tfjs-models' USE tokenizer does, so the ids
// are the ones the graph was trained on.

const SEPARATOR = '\u2581';
/** The first entries of the vocabulary are control symbols that never match text. */
const RESERVED_SYMBOLS = 6;
const UNKNOWN_ID = 0;

interface TrieNode {
  children: Map<string, TrieNode>;
  id: number;
  score: number;
}

export class UseTokenizer {
  private readonly root: TrieNode = { children: new Map(), id: -1, score: 0 };
  private readonly pieceLengths: number[];

  constructor(vocabulary: ReadonlyArray<readonly [string, number]>) {
    this.pieceLengths = vocabulary.map(([piece]) => [...piece].length);
    for (let id = RESERVED_SYMBOLS; id < vocabulary.length; id++) {
      const [piece, score] = vocabulary[id];
      let node = this.root;
      for (const ch of piece) {
        let next = node.children.get(ch);
        if (!next) {
          next = { children: new Map(), id: -1, score: 0 };
          node.children.set(ch, next);
        }
        node = next;
      }
      node.id = id;
      node.score = score;
    }
  }

  /** NFKC, then a leading separator and separators for spaces (SentencePiece's convention). */
  static preprocess(text: string): string {
    const normalized = text.normalize('NFKC');
    return normalized.length > 0 ? SEPARATOR + normalized.replace(/ /g, SEPARATOR) : normalized;
  }

  encode(text: string): number[] {
    const symbols = [...UseTokenizer.preprocess(text)];
    const n = symbols.length;
    const best = new Float64Array(n + 1);
    const bestId = new Int32Array(n + 1); // 0 = unknown
    const seen = new Uint8Array(n + 1);
    // Forward Viterbi: every vocabulary piece starting at i extends the best path ending at i.
    for (let i = 0; i < n; i++) {
      let node: TrieNode | undefined = this.root;
      for (let j = i; j < n && node; j++) {
        node = node.children.get(symbols[j]);
        if (node && node.id >= 0) {
          const end = j + 1;
          const score = node.score + best[i];
          if (!seen[end] || score >= best[end]) {
            best[end] = score;
            bestId[end] = node.id;
            seen[end] = 1;
          }
        }
      }
    }
    // Backward pass; a position no piece reaches is one unknown character.
    const ids: number[] = [];
    for (let pos = n; pos > 0; ) {
      const id = bestId[pos];
      ids.push(id);
      pos -= id === UNKNOWN_ID ? 1 : this.pieceLengths[id];
    }
    // Consecutive unknowns merge into one.
    const merged = ids.filter((id, k) => !(id === UNKNOWN_ID && k > 0 && ids[k - 1] === UNKNOWN_ID));
    return merged.reverse();
  }
}
