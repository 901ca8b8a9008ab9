/**
 * Embedders for memory: the SQL takes real[], so any function from texts to float arrays of
 * memory_dimensions() values will do. LocalEmbedder is the .NET host's LocalEmbeddingGenerator
 * (src/AgentRuntime.Core/Memory/LocalEmbeddingGenerator.cs) ported value for value: the same
 * text gives the same vector in both, so memories added by one are found by the other.
 */

/** Turns texts into embeddings of `dimensions` values each. */
export interface Embedder {
  embed(texts: string[], dimensions: number): Promise<Float32Array[]>;
}

/** Names the feature scheme (the .NET ModelId): vectors of two schemes are not comparable. */
export const LOCAL_EMBEDDER_MODEL = 'agent-runtime-hashed-ngrams-v1';

const WORD_WEIGHT = 1.0;
const TRIGRAM_WEIGHT = 0.35;
const FUNCTION_WORD_FACTOR = 0.15;
const f = Math.fround;

const FUNCTION_WORDS = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'do', 'does', 'for', 'from', 'has', 'have', 'i', 'in', 'is',
  'it', 'its', 'me', 'my', 'of', 'on', 'or', 'so', 'that', 'the', 'this', 'to', 'was', 'we', 'were', 'what', 'which',
  'who', 'will', 'with', 'you', 'your',
]);

const LETTER_OR_DIGIT = /^[\p{L}\p{Nd}]$/u;
const NON_SPACING_MARK = /^\p{Mn}$/u;
const encoder = new TextEncoder();

/** 64-bit FNV-1a of the feature's UTF-8 bytes, as a BigInt. */
function fnv1a(feature: string): bigint {
  // Two 32-bit halves: the 64-bit multiply by the FNV prime (2^40 + 0x1b3) done in 16-bit pieces.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (const byte of encoder.encode(feature)) {
    lo ^= byte;
    // (hi:lo) * (0x100:0x000001b3) mod 2^64
    const lo16 = lo & 0xffff;
    const loHi16 = lo >>> 16;
    const a = lo16 * 0x1b3;
    const b = loHi16 * 0x1b3 + (a >>> 16);
    const newLo = ((b & 0xffff) << 16) | (a & 0xffff);
    const carry = Math.floor(b / 0x10000);
    const newHi = (Math.imul(hi, 0x1b3) + (lo << 8) + carry) >>> 0;
    lo = newLo >>> 0;
    hi = newHi;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * Lower-cased words without accents: runs of letters and digits, read as .NET reads them, one
 * UTF-16 code unit at a time after compatibility decomposition (NFKD).
 */
function* words(text: string): Generator<string> {
  const decomposed = text.normalize('NFKD');
  let word = '';
  for (let i = 0; i < decomposed.length; i++) {
    const c = decomposed[i]!;
    if (NON_SPACING_MARK.test(c)) {
      continue; // the accent of a decomposed letter
    }
    if (LETTER_OR_DIGIT.test(c)) {
      const lower = c.toLowerCase();
      word += lower.length === 1 ? lower : c; // .NET maps one code unit to one code unit
    } else if (word.length > 0) {
      yield word;
      word = '';
    }
  }
  if (word.length > 0) {
    yield word;
  }
}

/** The embedding of `text` in `dimensions` dimensions, L2-normalized (LocalEmbeddingGenerator.Embed). */
export function localEmbedding(text: string, dimensions: number): Float32Array {
  if (!Number.isInteger(dimensions) || dimensions < 1) {
    throw new RangeError(`dimensions must be a positive integer, got ${dimensions}`);
  }
  const counts = new Map<string, { count: number; weight: number }>();
  const count = (feature: string, weight: number) => {
    const seen = counts.get(feature);
    if (seen) seen.count++; else counts.set(feature, { count: 1, weight });
  };
  for (const word of words(text)) {
    const factor = FUNCTION_WORDS.has(word) ? FUNCTION_WORD_FACTOR : 1;
    count('w:' + word, f(WORD_WEIGHT * factor));
    const padded = '<' + word + '>';
    for (let i = 0; i + 3 <= padded.length; i++) {
      count('t:' + padded.substring(i, i + 3), f(f(TRIGRAM_WEIGHT) * f(factor)));
    }
  }
  if (counts.size === 0) {
    count('empty', 1); // no words: one fixed direction rather than a zero vector, which has none
  }

  const vector = new Float32Array(dimensions);
  const dims = BigInt(dimensions);
  // Features in insertion order, as the .NET dictionary enumerates them, so that float sums round alike.
  for (const [feature, { count: n, weight }] of counts) {
    const hash = fnv1a(feature);
    const bucket = Number(hash % dims);
    const sign = hash >> 63n === 0n ? 1 : -1;
    vector[bucket] = f(vector[bucket]! + f(f(sign * weight) * f(1 + f(Math.log(n)))));
  }

  let sum = 0; // LINQ's Sum of floats accumulates in double
  for (const x of vector) {
    sum += f(x * x);
  }
  const norm = f(Math.sqrt(f(sum)));
  if (norm > 0) {
    for (let i = 0; i < vector.length; i++) {
      vector[i] = f(vector[i]! / norm);
    }
  }
  return vector;
}

/** The local embedder: no model, no network, no key; deterministic. See the .NET class for what it captures. */
export class LocalEmbedder implements Embedder {
  readonly model = LOCAL_EMBEDDER_MODEL;

  async embed(texts: string[], dimensions: number): Promise<Float32Array[]> {
    return texts.map((t) => localEmbedding(t ?? '', dimensions));
  }
}
