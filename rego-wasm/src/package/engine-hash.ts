/**
 * SHA-256 of engine/engine.wasm, written by `npm run build:engine`. The packager
 * refuses an engine binary with another hash; a jest test rebuilds the engine from
 * runtime/assembly and checks that it reproduces exactly this hash.
 */
export const ENGINE_SHA256 = 'c2e194e9b01045dc9f6952fe6f96aaddbdc1585e372e644dd51ea82113452518';
