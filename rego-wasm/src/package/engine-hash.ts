/**
 * SHA-256 of engine/engine.wasm, written by `npm run build:engine`. The packager
 * refuses an engine binary with another hash; a jest test rebuilds the engine from
 * runtime/assembly and checks that it reproduces exactly this hash.
 */
export const ENGINE_SHA256 = '1be7f851ee51d1e30dbb60b909a1e96064bd78bb0f7ffac9f9f0883f46a5a5b3';
