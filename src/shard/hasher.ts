/**
 * Loads the xxHash64 implementation (WebAssembly, from the maintained xxhash-wasm package: no
 * native build, the same result on every platform). Loading is asynchronous once; hashing after
 * that is synchronous and allocation-light.
 */
import xxhash from 'xxhash-wasm';
import type { KeyHasher } from './hash-ring.js';

let loading: Promise<KeyHasher> | undefined;

export function loadKeyHasher(): Promise<KeyHasher> {
  loading ??= xxhash().then((api) => (bytes: Uint8Array) => api.h64Raw(bytes));
  return loading;
}
