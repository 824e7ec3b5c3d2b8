/**
 * SHA-256 of engine/engine.wasm, written by `npm run build:engine`. The packager
 * refuses an engine binary with another hash; a jest test rebuilds the engine from
 * runtime/assembly and checks that it reproduces exactly this hash.
 */
export const ENGINE_SHA256 = 'b3182a654b12e8eb63c4d5354edee017f7b3937df26d8d42e1dbd47510ba4dda';
