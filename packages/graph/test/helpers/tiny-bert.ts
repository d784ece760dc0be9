import fs from 'node:fs';
import path from 'node:path';
import { DataType, model, node, rawBytes, tensor, valueInfo } from '@xclr/onnx-proto';

/** The tiny model's weights, so a test can compute its embeddings independently. */
export interface TinyBert {
  dir: string;
  vocab: string[];
  hidden: number;
  words: Float32Array; // [V, H]
  types: Float32Array; // [2, H]
  weight: Float32Array; // [H, H]
  bias: Float32Array; // [H]
}

/**
 * Writes a tiny BERT-format model directory as transformers.js loads it: `config.json`
 * (model_type bert), a WordPiece `tokenizer.json` with BERT's normaliser, pre-tokeniser and
 * [CLS] … [SEP] template, `tokenizer_config.json`, and `onnx/model.onnx` computing
 * last_hidden_state = tanh((word_emb[input_ids] + type_emb[token_type_ids]) · W + b).
 */
export function writeTinyBert(dir: string, words: string[], hidden = 8): TinyBert {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...words];
  let s = 12345;
  const rand = (n: number) =>
    Float32Array.from({ length: n }, () => {
      s = (s * 1103515245 + 12345) >>> 0;
      return (s / 2 ** 32 - 0.5) * 2;
    });
  const t: TinyBert = { dir, vocab, hidden, words: rand(vocab.length * hidden), types: rand(2 * hidden), weight: rand(hidden * hidden), bias: rand(hidden) };
  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  const config = { model_type: 'bert', architectures: ['BertModel'], hidden_size: hidden, num_attention_heads: 1, num_hidden_layers: 1, intermediate_size: hidden, vocab_size: vocab.length, max_position_embeddings: 64, type_vocab_size: 2, pad_token_id: 0 };
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((c, i) => special(i, c)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((w, i) => [w, i])) },
  };
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  fs.writeFileSync(
    path.join(dir, 'tokenizer_config.json'),
    JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 64, cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' }),
  );
  const onnx = model({
    name: 'tiny_bert',
    opset: 13,
    nodes: [
      node('Gather', ['word_embeddings', 'input_ids'], ['words']),
      node('Gather', ['token_type_embeddings', 'token_type_ids'], ['types']),
      node('Add', ['words', 'types'], ['embedded']),
      node('MatMul', ['embedded', 'dense_weight'], ['projected']),
      node('Add', ['projected', 'dense_bias'], ['biased']),
      node('Tanh', ['biased'], ['last_hidden_state']),
    ],
    initializers: [
      tensor('word_embeddings', DataType.FLOAT, [vocab.length, hidden], rawBytes(t.words)),
      tensor('token_type_embeddings', DataType.FLOAT, [2, hidden], rawBytes(t.types)),
      tensor('dense_weight', DataType.FLOAT, [hidden, hidden], rawBytes(t.weight)),
      tensor('dense_bias', DataType.FLOAT, [hidden], rawBytes(t.bias)),
    ],
    inputs: [
      valueInfo('input_ids', DataType.INT64, ['batch', 'sequence']),
      valueInfo('attention_mask', DataType.INT64, ['batch', 'sequence']),
      valueInfo('token_type_ids', DataType.INT64, ['batch', 'sequence']),
    ],
    outputs: [valueInfo('last_hidden_state', DataType.FLOAT, ['batch', 'sequence', hidden])],
  });
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), onnx);
  return t;
}

/** The tiny model's sentence embedding computed directly: [CLS] words [SEP], mean over tokens, unit norm. */
export function expectedEmbedding(t: TinyBert, text: string): number[] {
  const ids = [2, ...text.toLowerCase().split(/\s+/).filter(Boolean).map((w) => (t.vocab.includes(w) ? t.vocab.indexOf(w) : 1)), 3];
  const h = t.hidden;
  const mean = new Float64Array(h);
  for (const id of ids) {
    for (let j = 0; j < h; j++) {
      let v = t.bias[j];
      for (let i = 0; i < h; i++) v += (t.words[id * h + i] + t.types[i]) * t.weight[i * h + j];
      mean[j] += Math.tanh(v) / ids.length;
    }
  }
  const norm = Math.hypot(...mean);
  return Array.from(mean, (v) => v / norm);
}
