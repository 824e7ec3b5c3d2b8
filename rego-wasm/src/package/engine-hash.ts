/**
 * SHA-256 of engine/engine.wasm, written by `npm run build:engine`. The packager
 * refuses an engine binary with another hash; a jest test rebuilds the engine from
 * runtime/assembly and checks that it reproduces exactly this hash.
 */
export const ENGINE_SHA256 = 'b9e747c880533660268ddcbd8e51741baab66857c25da44b4ce07813f3cb8a4a';
